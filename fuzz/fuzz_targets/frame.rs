#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| clearchat_core::testing::fuzz::frame(data));
