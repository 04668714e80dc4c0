//! The rights the mesh's services check, one constant each.

use super::Right;

pub const WAREHOUSE_READ: Right = Right {
    service: "warehouse",
    operation: "read",
};
pub const WAREHOUSE_QUERY: Right = Right {
    service: "warehouse",
    operation: "query",
};
pub const FORECASTER_RUN: Right = Right {
    service: "forecaster",
    operation: "run",
};
pub const STORE_READ: Right = Right {
    service: "store",
    operation: "read",
};
pub const STORE_WRITE: Right = Right {
    service: "store",
    operation: "write",
};
