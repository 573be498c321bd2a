// The locale files are compiled into the binary by rust-i18n: rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
