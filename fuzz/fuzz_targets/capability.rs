//! libFuzzer entry for [`forecast_mesh_fuzz::capability`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| forecast_mesh_fuzz::capability(data));
