//! The wasm entry point: hydrates the server-rendered page into the live app.
//! On any other target this crate is empty.

// The app's view types nest deeply once components are not type-erased (see Cargo.toml).
#![recursion_limit = "256"]

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
