//! A library component: it exports `test:deps/greeter` for another component to import.

wit_bindgen::generate!({ world: "greeter-provider", path: "../wit" });

struct Greeter;

impl exports::test::deps::greeter::Guest for Greeter {
    fn greet(name: String) -> String {
        format!("Hello, {name}, from the greeter component")
    }
}

export!(Greeter);
