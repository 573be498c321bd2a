// Compiled into the binary: the locale files (rust-i18n) and the migrations (`sqlx::migrate!`).
// A change to either rebuilds the crate.
fn main() {
    println!("cargo:rerun-if-changed=locales");
    println!("cargo:rerun-if-changed=migrations");
}
