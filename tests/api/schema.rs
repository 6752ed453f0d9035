//! `schema.graphql` at the root is the exported schema; this fails when it drifts from the code.

#[test]
fn the_checked_in_schema_matches_the_code() {
    let exported = cadre_health::graphql::build_schema().sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).expect("schema.graphql exists");
    assert!(
        checked_in == exported,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql`"
    );
}
