//! Every input is bounded, and text is text: an oversized string or list, or a control
//! character, in any argument or input field is `BAD_USER_INPUT` naming the field, never
//! `INTERNAL_SERVER_ERROR`, never a crash, and nothing is written.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::helpers::{Client, TestApp, assert_bad_user_input, error_codes};
use crate::writes::{CREATE_CADRE, UPDATE_CADRE, cadre_input, counts};

async fn healthz(app: &TestApp) -> StatusCode {
    app.get("/healthz").await.0
}

const SEARCH: &str = "query($s: String) { cadres(filter: {search: $s}) { totalCount } }";

/// Finding 1: a search of 17,000 words overflowed the stack and killed the process; 1,000 to
/// 14,000 words answered `INTERNAL_SERVER_ERROR`.
#[tokio::test]
async fn a_search_of_17000_words_is_bad_user_input() {
    let app = TestApp::spawn().await;
    app.add_cadre("412", "Nguyễn Văn An").await;
    let client = app.as_board("412", "clinician");
    for words in [17_000, 1_000, 9] {
        let search = vec!["a"; words].join(" ");
        assert_bad_user_input(
            &client.query_with(SEARCH, json!({ "s": search })).await,
            "search",
        );
    }
    // The same as a literal in the document.
    let literal = format!(
        "{{ cadres(filter: {{search: \"{}\"}}) {{ totalCount }} }}",
        vec!["a"; 17_000].join(" ")
    );
    assert_bad_user_input(&client.query(&literal).await, "search");
    // Within the bounds (8 words, 200 characters) a search still finds.
    for search in [
        "ngu va an a a a a a",
        &format!("nguyen {}", "a".repeat(193)),
    ] {
        let body = client.query_with(SEARCH, json!({ "s": search })).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let body = client.query_with(SEARCH, json!({ "s": "ngu va an" })).await;
    assert_eq!(body["data"]["cadres"]["totalCount"], 1, "{body}");
    let too_long = format!("nguyen {}", "a".repeat(194));
    assert_bad_user_input(
        &client.query_with(SEARCH, json!({ "s": too_long })).await,
        "search",
    );
    assert_eq!(healthz(&app).await, StatusCode::OK);
}

/// Finding 9: a 100,000-entry `status` or `latestCadreClass` list and one 900 KB search word
/// answered `INTERNAL_SERVER_ERROR`.
#[tokio::test]
async fn oversized_lists_and_strings_are_bad_user_input() {
    let app = TestApp::spawn().await;
    let client = app.as_board("TW", "admin");
    // 900 KB of enum literals: the document's own budget (3,000 tokens) refuses it before its
    // arguments are read.
    let statuses = vec!["ACCEPTED"; 100_000].join(",");
    let referrals = format!("{{ referrals(filter: {{status: [{statuses}]}}) {{ totalCount }} }}");
    assert_eq!(
        error_codes(&client.query(&referrals).await),
        ["QUERY_TOO_COMPLEX"]
    );
    // The same list as a variable (as many as fit the 1 MiB body) meets the list bound.
    let by_status =
        "query($s: [ReferralStatus!]) { referrals(filter: {status: $s}) { totalCount } }";
    let body = client
        .query_with(by_status, json!({"s": vec!["ACCEPTED"; 80_000]}))
        .await;
    assert_bad_user_input(&body, "status");
    let classes = vec!["A"; 100_000];
    let cadres = "query($f: CadreFilter) { cadres(filter: $f) { totalCount } }";
    let body = client
        .query_with(cadres, json!({"f": {"latestCadreClass": classes}}))
        .await;
    assert_bad_user_input(&body, "latestCadreClass");
    let body = client
        .query_with(SEARCH, json!({ "s": "a".repeat(900_000) }))
        .await;
    assert_bad_user_input(&body, "search");

    // A list of enum values is no longer than its enum: each value once (5 classes) is fine,
    // one more is not.
    let all = ["A", "B1", "B2", "C", "D"];
    let body = client
        .query_with(cadres, json!({"f": {"latestCadreClass": all}}))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let six = ["A", "B1", "B2", "C", "D", "A"];
    let body = client
        .query_with(cadres, json!({"f": {"latestCadreClass": six}}))
        .await;
    assert_bad_user_input(&body, "latestCadreClass");
    let literal = format!(
        "{{ referrals(filter: {{urgency: [{}]}}) {{ totalCount }} }}",
        vec!["ROUTINE"; 1_000].join(",")
    );
    assert_bad_user_input(&client.query(&literal).await, "urgency");
    // An ID is no longer than an ID can be.
    let body = client
        .query_with(
            "query($id: ID!) { cadre(id: $id) { id } }",
            json!({"id": "0".repeat(65)}),
        )
        .await;
    assert_bad_user_input(&body, "id");
    assert_eq!(healthz(&app).await, StatusCode::OK);
}

/// Finding 11: a NUL in `createCadre`'s `fullName`, `updateCadre`'s `position` or
/// `board(code)` answered `INTERNAL_SERVER_ERROR` on PostgreSQL and was stored by SQLite.
#[tokio::test]
async fn control_characters_are_bad_user_input_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let cadre = app.add_cadre("412", "Nguyễn Văn An").await;
    let client = app.as_board("412", "clinician");
    let before = counts(&app).await;

    let mut input = cadre_input("412", "Nul\u{0}Byte");
    assert_bad_user_input(
        &client
            .query_with(CREATE_CADRE, json!({"input": input}))
            .await,
        "fullName",
    );
    // Every control character but tab and newline, carriage return included.
    for bad in ["bell\u{7}", "a\rb", "del\u{7f}", "c1\u{85}", "esc\u{1b}[0m"] {
        input["fullName"] = json!(bad);
        assert_bad_user_input(
            &client
                .query_with(CREATE_CADRE, json!({"input": input}))
                .await,
            "fullName",
        );
    }
    let update = json!({"id": cadre, "version": 1, "input": {"position": "a\u{0}b"}});
    assert_bad_user_input(&client.query_with(UPDATE_CADRE, update).await, "position");
    // In a literal (`\u0000` is GraphQL's escape), in a lookup, and in a variable.
    assert_bad_user_input(
        &client
            .query("{ board(code: \"4\\u00000\") { name } }")
            .await,
        "code",
    );
    let body = client
        .query_with(
            "query($c: String!) { board(code: $c) { name } }",
            json!({"c": "4\u{0}0"}),
        )
        .await;
    assert_bad_user_input(&body, "code");
    // Deep in a list of input objects, the field is named by its path.
    let visit = json!({"input": {
        "cadreId": cadre, "visitedAt": "2025-01-02T03:04:05Z",
        "prescriptions": [{"drug": "Amlodipin", "quantity": 30}, {"drug": "x\u{0}", "quantity": 1}],
    }});
    let body = client
        .query_with(
            "mutation($input: RecordClinicVisitInput!) { recordClinicVisit(input: $input) { id } }",
            visit,
        )
        .await;
    assert_bad_user_input(&body, "prescriptions[1].drug");
    assert_eq!(counts(&app).await, before, "nothing written");

    // Tab and newline are text.
    let update = json!({"id": cadre, "version": 1,
        "input": {"position": "Phó Bí thư\tthường trực", "workplace": "Tỉnh ủy\nNghệ An"}});
    let body = client.query_with(UPDATE_CADRE, update).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["updateCadre"]["workplace"], "Tỉnh ủy\nNghệ An");
}

/// The walk covers every way a value reaches an argument: a fragment (walked once, however
/// often it is spread), an inline fragment, a variable's default, a variable inside a list.
#[tokio::test]
async fn bounds_hold_in_fragments_defaults_and_lists() {
    let app = TestApp::spawn().await;
    let client = app.as_board("TW", "analyst");
    for (query, variables, field) in [
        (
            "{ ...F ...F } fragment F on Query { cadres(filter: {boardCode: \"4\\u00070\"}) { totalCount } }",
            json!({}),
            "boardCode",
        ),
        (
            "{ ... on Query { statistics { vaccinationCoverage(vaccine: \"\\u0000\") { total { board { code } } } } } }",
            json!({}),
            "vaccine",
        ),
        (
            "query($s: String = \"a\\u0000\") { cadres(filter: {search: $s}) { totalCount } }",
            json!({}),
            "$s",
        ),
        (
            "query($c: String!) { statistics { conditionPrevalence(codes: [\"I10\", $c]) { total { cadres } } } }",
            json!({"c": "x".repeat(3_000)}),
            "codes[1]",
        ),
    ] {
        let body = client.query_with(query, variables).await;
        assert_bad_user_input(&body, field);
    }
}

/// The schema as introspection tells it: every type by name.
async fn schema_types(client: &Client<'_>) -> Map<String, Value> {
    let type_ref = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
    let query = format!(
        "{{ __schema {{ types {{ name kind enumValues {{ name }} \
         fields {{ name type {{ {type_ref} }} args {{ name defaultValue type {{ {type_ref} }} }} }} \
         inputFields {{ name defaultValue type {{ {type_ref} }} }} }} }} }}"
    );
    let body = client.query(&query).await;
    let types = body["data"]["__schema"]["types"].as_array().expect("types");
    types
        .iter()
        .map(|t| (t["name"].as_str().expect("name").to_owned(), t.clone()))
        .collect()
}

/// A type reference written as GraphQL (`[String!]!`).
fn type_name(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_name(&ty["ofType"])),
        Some("LIST") => format!("[{}]", type_name(&ty["ofType"])),
        _ => ty["name"].as_str().expect("named").to_owned(),
    }
}

/// Strips `NON_NULL`.
fn nullable(ty: &Value) -> &Value {
    if ty["kind"] == "NON_NULL" {
        &ty["ofType"]
    } else {
        ty
    }
}

/// A valid-looking value of `ty`, so that only the value under test is out of bounds.
fn sample(types: &Map<String, Value>, ty: &Value) -> Value {
    let ty = nullable(ty);
    match ty["kind"].as_str() {
        Some("LIST") => json!([]),
        Some("ENUM") => types[ty["name"].as_str().expect("enum")]["enumValues"][0]["name"].clone(),
        Some("INPUT_OBJECT") => required_fields(types, ty["name"].as_str().expect("input")),
        _ => match ty["name"].as_str() {
            Some("Int") => json!(1),
            Some("Float") => json!(1.5),
            Some("Boolean") => json!(true),
            Some("Date") => json!("2020-01-01"),
            Some("DateTime") => json!("2020-01-01T00:00:00Z"),
            Some("ID") => json!("01890000-0000-7000-8000-000000000000"),
            _ => json!("x"),
        },
    }
}

/// An input object with its required fields (non-null, no default) filled in.
fn required_fields(types: &Map<String, Value>, name: &str) -> Value {
    let mut object = Map::new();
    for field in types[name]["inputFields"].as_array().expect("input fields") {
        if field["type"]["kind"] == "NON_NULL" && field["defaultValue"].is_null() {
            let name = field["name"].as_str().expect("name").to_owned();
            object.insert(name, sample(types, &field["type"]));
        }
    }
    Value::Object(object)
}

/// One position that takes a string or a list: the path to it from the argument
/// (`["exam", "conclusion"]`, `["prescriptions", "[0]", "drug"]`), and its type.
struct Position {
    path: Vec<String>,
    ty: Value,
}

/// The field name the API gives a position: an argument's own fields without the argument
/// (`search`, not `filter.search`), nested ones by their path (`prescriptions[0].drug`).
fn field_name(arg: &str, path: &[String]) -> String {
    let mut name = String::new();
    for segment in path {
        if !name.is_empty() && !segment.starts_with('[') {
            name.push('.');
        }
        name.push_str(segment);
    }
    if name.is_empty() {
        arg.to_owned()
    } else {
        name
    }
}

/// Every position under a value of type `ty`, input objects (in lists too) included.
fn positions(types: &Map<String, Value>, ty: &Value, path: Vec<String>, out: &mut Vec<Position>) {
    let inner = nullable(ty);
    match inner["kind"].as_str() {
        Some("LIST") => {
            out.push(Position {
                path: path.clone(),
                ty: inner.clone(),
            });
            let mut path = path;
            path.push("[0]".into());
            if nullable(&inner["ofType"])["kind"] == "INPUT_OBJECT" {
                positions(types, &inner["ofType"], path, out);
            }
        }
        Some("SCALAR") if !matches!(inner["name"].as_str(), Some("Int" | "Float" | "Boolean")) => {
            out.push(Position {
                path,
                ty: inner.clone(),
            })
        }
        Some("INPUT_OBJECT") if path.len() < 4 => {
            let name = inner["name"].as_str().expect("input");
            for field in types[name]["inputFields"].as_array().expect("input fields") {
                let mut path = path.clone();
                path.push(field["name"].as_str().expect("name").to_owned());
                positions(types, &field["type"], path, out);
            }
        }
        _ => {}
    }
}

/// A value of type `ty` with `value` put at `path`, each input object along it given its
/// required fields.
fn put(types: &Map<String, Value>, ty: &Value, path: &[String], value: Value) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return value;
    };
    let ty = nullable(ty);
    if first == "[0]" {
        return json!([put(types, &ty["ofType"], rest, value)]);
    }
    let name = ty["name"].as_str().expect("input object");
    let mut object = required_fields(types, name);
    let field_ty = types[name]["inputFields"]
        .as_array()
        .expect("input fields")
        .iter()
        .find(|f| f["name"] == *first)
        .map(|f| f["type"].clone())
        .expect("field");
    object[first] = put(types, &field_ty, rest, value);
    object
}

/// The oversized values for a position of type `ty`, each with the field the error must name
/// (`here` is the position's own name).
fn oversized(types: &Map<String, Value>, ty: &Value, here: &str) -> Vec<(Value, String)> {
    match ty["kind"].as_str() {
        Some("LIST") => {
            let item = nullable(&ty["ofType"]);
            let mut out = vec![(json!(vec![sample(types, item); 10_000]), here.to_owned())];
            if item["kind"] == "SCALAR" {
                out.push((json!(["Nul\u{0}Byte"]), format!("{here}[0]")));
            }
            out
        }
        _ => vec![
            (json!("x".repeat(100_000)), here.to_owned()),
            (json!("Nul\u{0}Byte"), here.to_owned()),
        ],
    }
}

/// Every object type a query can reach, with the path of fields from the root to it (fields
/// without required arguments), and the two roots themselves.
fn reachable(types: &Map<String, Value>) -> Vec<(&'static str, String, Vec<String>)> {
    let mut out = vec![
        ("query", "Query".to_owned(), vec![]),
        ("mutation", "Mutation".to_owned(), vec![]),
    ];
    let mut seen = std::collections::HashSet::from(["Query".to_owned(), "Mutation".to_owned()]);
    let mut next = 0;
    while next < out.len() {
        let (keyword, name, path) = out[next].clone();
        next += 1;
        if keyword == "mutation" {
            continue;
        }
        for field in types[&name]["fields"].as_array().expect("fields") {
            let args = field["args"].as_array().expect("args");
            if args.iter().any(|a| a["type"]["kind"] == "NON_NULL") {
                continue;
            }
            let mut ty = &field["type"];
            while ty["kind"] == "NON_NULL" || ty["kind"] == "LIST" {
                ty = &ty["ofType"];
            }
            let target = ty["name"].as_str().expect("named").to_owned();
            if ty["kind"] == "OBJECT" && !target.starts_with("__") && seen.insert(target.clone()) {
                let mut path = path.clone();
                path.push(field["name"].as_str().expect("name").to_owned());
                out.push(("query", target, path));
            }
        }
    }
    out
}

/// For every argument and input field of every field, at the root and below it, that takes a
/// string, an ID, a date or a list: an oversized value and one with a NUL. Each is refused with
/// `BAD_USER_INPUT` naming the field, nothing is written, and the server still answers.
#[tokio::test]
async fn every_argument_refuses_oversized_values() {
    let app = TestApp::spawn().await;
    app.add_cadre("412", "Nguyễn Văn An").await;
    let client = app.as_board("TW", "admin");
    let types = schema_types(&client).await;
    let before = counts(&app).await;
    let mut cases = 0;
    for (keyword, parent, path) in reachable(&types) {
        for field in types[&parent]["fields"].as_array().expect("fields") {
            let name = field["name"].as_str().expect("name");
            let returns = nullable(&field["type"]);
            let mut named = returns;
            while named["kind"] == "LIST" || named["kind"] == "NON_NULL" {
                named = &named["ofType"];
            }
            let selection = match named["kind"].as_str() {
                Some("OBJECT" | "INTERFACE" | "UNION") => " { __typename }",
                _ => "",
            };
            let args = field["args"].as_array().expect("args");
            for arg in args {
                let arg_name = arg["name"].as_str().expect("name");
                let mut found = Vec::new();
                positions(&types, &arg["type"], Vec::new(), &mut found);
                for position in found {
                    let here = field_name(arg_name, &position.path);
                    for (bad, field_name) in oversized(&types, &position.ty, &here) {
                        // Every other required argument gets a plausible value.
                        let mut variables = Map::new();
                        let mut declared = Vec::new();
                        let mut passed = Vec::new();
                        for other in args {
                            let other_name = other["name"].as_str().expect("name");
                            let value = if other_name == arg_name {
                                put(&types, &arg["type"], &position.path, bad.clone())
                            } else if other["type"]["kind"] == "NON_NULL" {
                                sample(&types, &other["type"])
                            } else {
                                continue;
                            };
                            declared.push(format!("${other_name}: {}", type_name(&other["type"])));
                            passed.push(format!("{other_name}: ${other_name}"));
                            variables.insert(other_name.to_owned(), value);
                        }
                        let call = format!("{name}({}){selection}", passed.join(", "));
                        let selection = path
                            .iter()
                            .rev()
                            .fold(call, |inner, outer| format!("{outer} {{ {inner} }}"));
                        let query = format!("{keyword}({}) {{ {selection} }}", declared.join(", "));
                        let body = client.query_with(&query, Value::Object(variables)).await;
                        assert_eq!(
                            error_codes(&body),
                            ["BAD_USER_INPUT"],
                            "{query} at {field_name}: {body}"
                        );
                        assert_eq!(
                            body["errors"][0]["extensions"]["field"], field_name,
                            "{query}: {body}"
                        );
                        cases += 1;
                    }
                }
            }
        }
    }
    // Every string and list argument and input field of the schema, two or three values
    // each: a schema change that hid them from the sweep would show here.
    assert!(cases > 200, "only {cases} cases");
    eprintln!("{cases} oversized values refused");
    assert_eq!(counts(&app).await, before, "nothing written");
    assert_eq!(healthz(&app).await, StatusCode::OK);
}
