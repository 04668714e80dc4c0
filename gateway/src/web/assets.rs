//! The dashboard's built files (`gateway/web/dist`), embedded in the binary
//! so the gateway serves them with no Node at run time. `tests/run`
//! rebuilds them from `gateway/web/src` and fails if they differ.

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The path it is served at.
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// The page itself, served at `/` and `/index.html`.
pub const INDEX: Asset = Asset {
    path: "/index.html",
    content_type: "text/html; charset=utf-8",
    bytes: include_bytes!("../../web/dist/index.html"),
};

/// Everything under `/assets/`.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/assets/app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../web/dist/assets/app.js"),
    },
    Asset {
        path: "/assets/app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../web/dist/assets/app.css"),
    },
];
