//! A dataset small enough to count by hand, with its edges: ages on the day and the day after a
//! birthday, exams on 31 December and 1 January, an exam outside any campaign and one without
//! a class, a cadre who died between rounds, a cadre transferred between districts after a
//! campaign started, a resolved condition, a skipped dose, visits either side of midnight in
//! Vietnam on New Year's Eve.
//!
//! Boards: the centre; Nghệ An (40) with its own cadres and districts 412 (Vinh) and 414 (Thái
//! Hoà, which has no cadres now); Hà Nội (01) and its district 001 (Ba Đình).

use cadre_health::domain::{
    CadreClass as C, CadreStatus::*, ExamKind, Gender::*, GeneralClass as G, ManagementTier::*,
};
use serde_json::{Value, json};

use super::fixture::Fixture;
use super::{AGE_BANDS, others_are, row, rows, total};
use crate::helpers::TestApp;

pub async fn world() -> TestApp {
    let app = TestApp::spawn().await;
    let f = Fixture { db: &app.db };
    // Ages are taken on 2026-11-22 in the tests below.
    let c1 = f.cadre("TW", Serving, Male, Politburo, "1960-01-01").await;
    let c2 = f
        .cadre("40", Serving, Female, Provincial, "1986-11-22")
        .await; // 40 that day
    let c3 = f.cadre("40", Retired, Male, Provincial, "1946-11-23").await; // 80 the day after
    let c4 = f.cadre("40", Deceased, Male, Central, "1940-05-05").await; // died mid-2025
    let c5 = f.cadre("412", Serving, Male, District, "1986-11-23").await; // 39
    let c6 = f
        .cadre("412", Retired, Female, District, "1946-11-22")
        .await; // 80
    // Managed by 414 when round 1 of 2025 started, transferred to 412 before round 2.
    let c7 = f.cadre("412", Serving, Male, District, "1970-02-28").await;
    let c8 = f
        .cadre("01", Serving, Female, Provincial, "1975-06-15")
        .await;
    let c9 = f.cadre("001", Retired, Male, District, "1950-01-01").await;

    let tw1 = f.campaign("TW", 2025, 1, "2025-03-01").await;
    let na1 = f.campaign("40", 2025, 1, "2025-03-01").await;
    let na2 = f.campaign("40", 2025, 2, "2025-09-01").await;
    let hn1 = f.campaign("01", 2025, 1, "2025-03-01").await;
    let r1 = (2025, 1);
    let r2 = (2025, 2);
    f.enrol(tw1, c1, "TW", r1, Some("2025-03-10")).await;
    f.enrol(na1, c2, "40", r1, Some("2025-04-30")).await;
    f.enrol(na1, c3, "40", r1, None).await;
    f.enrol(na1, c4, "40", r1, Some("2025-03-05")).await;
    f.enrol(na1, c5, "412", r1, Some("2025-03-15")).await;
    f.enrol(na1, c6, "412", r1, None).await;
    f.enrol(na1, c7, "414", r1, Some("2025-03-20")).await;
    f.enrol(hn1, c8, "01", r1, Some("2025-03-12")).await;
    f.enrol(hn1, c9, "001", r1, None).await;
    // Round 2: c4 had died; c7 is now managed by 412.
    f.enrol(na2, c2, "40", r2, Some("2025-09-10")).await;
    f.enrol(na2, c3, "40", r2, Some("2025-09-05")).await;
    f.enrol(na2, c5, "412", r2, None).await;
    f.enrol(na2, c6, "412", r2, Some("2025-09-20")).await;
    f.enrol(na2, c7, "412", r2, Some("2025-09-25")).await;

    use ExamKind::*;
    let both = |c, g| (Some(c), Some(g));
    f.exam(c1, "2025-03-10", Periodic, Some(tw1), both(C::A, G::I))
        .await;
    f.exam(c2, "2025-04-30", Periodic, Some(na1), both(C::B1, G::Ii))
        .await;
    f.exam(c2, "2025-09-10", Periodic, Some(na2), both(C::A, G::I))
        .await;
    // Later, but records no class: c2's classes still come from 10 September.
    f.exam(c2, "2025-11-01", Specialist, None, (None, None))
        .await;
    f.exam(c3, "2024-12-31", Periodic, None, both(C::D, G::V))
        .await; // the year before
    f.exam(c3, "2025-09-05", Periodic, Some(na2), both(C::B2, G::Iii))
        .await;
    f.exam(c3, "2026-01-01", Periodic, None, both(C::C, G::Iv))
        .await; // the year after
    f.exam(c4, "2025-03-05", Periodic, Some(na1), both(C::C, G::Iv))
        .await;
    f.exam(c5, "2025-03-15", Periodic, Some(na1), both(C::A, G::I))
        .await;
    // Outside any campaign, on 31 December, with a cadre class only.
    f.exam(c5, "2025-12-31", Routine, None, (Some(C::B1), None))
        .await;
    f.exam(c6, "2025-09-20", Periodic, Some(na2), both(C::D, G::V))
        .await;
    f.exam(c7, "2025-03-20", Periodic, Some(na1), both(C::B2, G::Iii))
        .await;
    f.exam(c7, "2025-09-25", Periodic, Some(na2), both(C::A, G::I))
        .await;
    f.exam(c8, "2025-03-12", Periodic, Some(hn1), both(C::B1, G::Ii))
        .await;

    f.condition(c1, "I10", None).await;
    f.condition(c2, "E11", None).await;
    f.condition(c2, "I10", Some("2024-01-01")).await; // resolved
    f.condition(c3, "I25", None).await;
    f.condition(c3, "I20", None).await; // a second I2x: c3 still counts once
    f.condition(c3, "I10", None).await;
    f.condition(c4, "I10", None).await; // deceased: not counted
    f.condition(c5, "E11", None).await;
    f.condition(c8, "I21", None).await;

    for dose in 1..=3 {
        f.vaccination(c1, "COVID-19", dose).await;
        f.vaccination(c4, "COVID-19", dose).await; // deceased: not counted
    }
    f.vaccination(c2, "COVID-19", 1).await;
    f.vaccination(c2, "COVID-19", 2).await;
    f.vaccination(c3, "COVID-19", 1).await;
    f.vaccination(c5, "COVID-19", 1).await;
    f.vaccination(c5, "COVID-19", 3).await; // dose 2 not recorded
    f.vaccination(c6, "Influenza", 1).await;
    f.vaccination(c8, "COVID-19", 1).await;

    // 23:59 and 00:00 on New Year's Eve in Vietnam (UTC+7).
    f.visit(c2, "2025-12-31T16:59:00Z", 2).await;
    f.visit(c2, "2025-12-31T17:00:00Z", 1).await;
    f.visit(c5, "2025-12-28T03:00:00Z", 0).await; // a Sunday: ISO week of 22 December
    f.visit(c1, "2026-01-05T02:00:00Z", 1).await;
    f.referral(c3, "2025-12-29").await;
    f.referral(c8, "2026-01-04").await;
    app
}

async fn stat(app: &TestApp, board: &str, field: &str, args: &str, selection: &str) -> Value {
    let query = format!(
        "{{ statistics{args} {{ board {{ code }} s: {field} {{ total {{ board {{ code }} {selection} }} byBoard {{ board {{ code }} {selection} }} }} }} }}"
    );
    let data = app.as_board(board, "analyst").data(&query).await;
    data["statistics"]["s"].clone()
}

const COVERAGE: &str = "eligible examined rate";

#[tokio::test]
async fn exam_coverage_counts_enrolments_where_cadres_were_managed_at_the_start() {
    let app = world().await;
    let s = stat(
        &app,
        "TW",
        "examCoverage(year: 2025, round: 1)",
        "",
        COVERAGE,
    )
    .await;
    assert_eq!(
        total(&s),
        json!({"eligible": 9, "examined": 6, "rate": 6.0 / 9.0})
    );
    assert_eq!(s["total"]["board"]["code"], "TW");
    let all = rows(&s);
    assert_eq!(all.len(), 64, "the centre and all 63 provinces");
    assert_eq!(all[0].0, "TW", "the board's own row comes first");
    assert_eq!(
        row(&s, "TW"),
        json!({"eligible": 1, "examined": 1, "rate": 1.0})
    );
    assert_eq!(
        row(&s, "40"),
        json!({"eligible": 6, "examined": 4, "rate": 4.0 / 6.0})
    );
    assert_eq!(
        row(&s, "01"),
        json!({"eligible": 2, "examined": 1, "rate": 0.5})
    );
    let zero = json!({"eligible": 0, "examined": 0, "rate": 0.0});
    others_are(&s, &["TW", "40", "01"], &zero);

    // Nghệ An by district: the transferred cadre counts under 414, where they were managed.
    let s = stat(
        &app,
        "40",
        "examCoverage(year: 2025, round: 1)",
        "",
        COVERAGE,
    )
    .await;
    assert_eq!(
        total(&s),
        json!({"eligible": 6, "examined": 4, "rate": 4.0 / 6.0})
    );
    assert_eq!(rows(&s)[0].0, "40");
    assert_eq!(
        row(&s, "40"),
        json!({"eligible": 3, "examined": 2, "rate": 2.0 / 3.0})
    );
    assert_eq!(
        row(&s, "412"),
        json!({"eligible": 2, "examined": 1, "rate": 0.5})
    );
    assert_eq!(
        row(&s, "414"),
        json!({"eligible": 1, "examined": 1, "rate": 1.0})
    );
    others_are(&s, &["40", "412", "414"], &zero);

    // Round 2: the deceased cadre is no longer due; the transferred one is due in 412.
    let s = stat(
        &app,
        "40",
        "examCoverage(year: 2025, round: 2)",
        "",
        COVERAGE,
    )
    .await;
    assert_eq!(
        row(&s, "40"),
        json!({"eligible": 2, "examined": 2, "rate": 1.0})
    );
    assert_eq!(
        row(&s, "412"),
        json!({"eligible": 3, "examined": 2, "rate": 2.0 / 3.0})
    );
    assert_eq!(row(&s, "414"), zero);

    // Without a round: both rounds added up, a cadre once per round.
    let s = stat(&app, "40", "examCoverage(year: 2025)", "", COVERAGE).await;
    assert_eq!(
        total(&s),
        json!({"eligible": 11, "examined": 8, "rate": 8.0 / 11.0})
    );
    assert_eq!(
        row(&s, "412"),
        json!({"eligible": 5, "examined": 3, "rate": 0.6})
    );

    // A year with no campaign.
    let s = stat(
        &app,
        "TW",
        "examCoverage(year: 2024, round: 1)",
        "",
        COVERAGE,
    )
    .await;
    assert_eq!(total(&s), zero);
}

const CLASSES: &str = "classes { class cadres } classified unclassified";

fn classes(counts: [i64; 5], names: [&str; 5], unclassified: i64) -> Value {
    json!({
        "classes": names.iter().zip(counts).map(|(c, n)| json!({"class": c, "cadres": n})).collect::<Vec<_>>(),
        "classified": counts.iter().sum::<i64>(),
        "unclassified": unclassified,
    })
}

#[tokio::test]
async fn health_classes_come_from_each_cadres_latest_exam_of_the_year() {
    let app = world().await;
    let abc = ["A", "B1", "B2", "C", "D"];
    let roman = ["I", "II", "III", "IV", "V"];
    let field = "healthClassDistribution(year: 2025, classification: CADRE)";
    let s = stat(&app, "40", field, "", CLASSES).await;
    assert_eq!(row(&s, "40"), classes([1, 0, 1, 1, 0], abc, 0));
    assert_eq!(row(&s, "412"), classes([1, 1, 0, 0, 1], abc, 0));
    assert_eq!(total(&s), classes([2, 1, 1, 1, 1], abc, 0));
    others_are(&s, &["40", "412"], &classes([0; 5], abc, 0));

    let s = stat(&app, "TW", field, "", CLASSES).await;
    assert_eq!(row(&s, "TW"), classes([1, 0, 0, 0, 0], abc, 0));
    assert_eq!(row(&s, "01"), classes([0, 1, 0, 0, 0], abc, 1));
    assert_eq!(row(&s, "40"), classes([2, 1, 1, 1, 1], abc, 0));
    assert_eq!(total(&s), classes([3, 2, 1, 1, 1], abc, 1));

    // The general class of c5 comes from March: the December exam records only a cadre class.
    let field = "healthClassDistribution(year: 2025, classification: GENERAL)";
    let s = stat(&app, "40", field, "", CLASSES).await;
    assert_eq!(row(&s, "40"), classes([1, 0, 1, 1, 0], roman, 0));
    assert_eq!(row(&s, "412"), classes([2, 0, 0, 0, 1], roman, 0));

    // 2026 holds only c3's exam of 1 January; the other living cadres are unclassified.
    let field = "healthClassDistribution(year: 2026, classification: CADRE)";
    let s = stat(&app, "TW", field, "", CLASSES).await;
    assert_eq!(total(&s), classes([0, 0, 0, 1, 0], abc, 7));
    assert_eq!(row(&s, "40"), classes([0, 0, 0, 1, 0], abc, 4));
}

const PREVALENCE: &str = "cadres conditions { code cadres rate }";

fn prevalence(cadres: i64, counts: [i64; 3]) -> Value {
    let codes = ["I10", "E11", "I2"];
    json!({
        "cadres": cadres,
        "conditions": codes.iter().zip(counts).map(|(c, n)| json!({
            "code": c, "cadres": n, "rate": if cadres == 0 { 0.0 } else { n as f64 / cadres as f64 },
        })).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn condition_prevalence_counts_living_cadres_with_an_active_condition() {
    let app = world().await;
    let field = r#"conditionPrevalence(codes: ["I10", "e11", "I2"])"#;
    let s = stat(&app, "TW", field, "", PREVALENCE).await;
    assert_eq!(row(&s, "TW"), prevalence(1, [1, 0, 0]));
    assert_eq!(row(&s, "40"), prevalence(5, [1, 2, 1]));
    assert_eq!(row(&s, "01"), prevalence(2, [0, 0, 1]));
    assert_eq!(total(&s), prevalence(8, [2, 2, 2]));
    others_are(&s, &["TW", "40", "01"], &prevalence(0, [0, 0, 0]));

    let s = stat(&app, "40", field, "", PREVALENCE).await;
    assert_eq!(row(&s, "40"), prevalence(2, [1, 1, 1]));
    assert_eq!(row(&s, "412"), prevalence(3, [0, 1, 0]));

    let bad = app
        .as_board("TW", "analyst")
        .query(r#"{ statistics { conditionPrevalence(codes: ["I10%"]) { total { cadres } } } }"#)
        .await;
    assert_eq!(crate::helpers::error_codes(&bad), ["BAD_USER_INPUT"]);
}

const DOSES: &str = "cadres doses { dose cadres rate }";

fn doses(cadres: i64, counts: [i64; 3]) -> Value {
    json!({
        "cadres": cadres,
        "doses": counts.iter().enumerate().map(|(i, n)| json!({
            "dose": i + 1, "cadres": n, "rate": if cadres == 0 { 0.0 } else { *n as f64 / cadres as f64 },
        })).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn vaccination_coverage_counts_living_cadres_by_highest_dose() {
    let app = world().await;
    let s = stat(
        &app,
        "TW",
        r#"vaccinationCoverage(vaccine: "COVID-19")"#,
        "",
        DOSES,
    )
    .await;
    assert_eq!(row(&s, "TW"), doses(1, [1, 1, 1]));
    assert_eq!(row(&s, "40"), doses(5, [3, 2, 1]));
    assert_eq!(row(&s, "01"), doses(2, [1, 0, 0]));
    assert_eq!(total(&s), doses(8, [5, 3, 2]));
    let s = stat(
        &app,
        "40",
        r#"vaccinationCoverage(vaccine: "Influenza")"#,
        "",
        DOSES,
    )
    .await;
    assert_eq!(row(&s, "412"), doses(3, [1, 0, 0]));
    assert_eq!(row(&s, "40"), doses(2, [0, 0, 0]));
}

const COUNTS: &str = "cadres buckets { key cadres }";

fn counts(keys: &[&str], values: &[i64]) -> Value {
    json!({
        "cadres": values.iter().sum::<i64>(),
        "buckets": keys.iter().zip(values).map(|(k, n)| json!({"key": k, "cadres": n})).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn cadre_counts_by_status_tier_gender_and_age_band() {
    let app = world().await;
    let status = ["SERVING", "RETIRED", "DECEASED"];
    let s = stat(&app, "TW", "cadreCounts(by: STATUS)", "", COUNTS).await;
    assert_eq!(row(&s, "TW"), counts(&status, &[1, 0, 0]));
    assert_eq!(row(&s, "40"), counts(&status, &[3, 2, 1]));
    assert_eq!(row(&s, "01"), counts(&status, &[1, 1, 0]));
    assert_eq!(total(&s), counts(&status, &[5, 3, 1]));

    let tier = ["POLITBURO", "CENTRAL", "PROVINCIAL", "DISTRICT"];
    let s = stat(&app, "TW", "cadreCounts(by: TIER)", "", COUNTS).await;
    assert_eq!(row(&s, "40"), counts(&tier, &[0, 1, 2, 3]));
    assert_eq!(total(&s), counts(&tier, &[1, 1, 3, 4]));

    let gender = ["MALE", "FEMALE"];
    let s = stat(&app, "40", "cadreCounts(by: GENDER)", "", COUNTS).await;
    assert_eq!(row(&s, "40"), counts(&gender, &[2, 1]));
    assert_eq!(row(&s, "412"), counts(&gender, &[2, 1]));
    assert_eq!(row(&s, "414"), counts(&gender, &[0, 0]));

    let bands = AGE_BANDS;
    let field = r#"cadreCounts(by: AGE_BAND, asOf: "2026-11-22")"#;
    let s = stat(&app, "40", field, "", COUNTS).await;
    assert_eq!(row(&s, "40"), counts(&bands, &[0, 1, 0, 0, 1, 0, 1]));
    assert_eq!(row(&s, "412"), counts(&bands, &[1, 0, 1, 0, 0, 1, 0]));
    // A day later c5 is 40 and c3 is 80.
    let field = r#"cadreCounts(by: AGE_BAND, asOf: "2026-11-23")"#;
    let s = stat(&app, "40", field, "", COUNTS).await;
    assert_eq!(row(&s, "40"), counts(&bands, &[0, 1, 0, 0, 0, 1, 1]));
    assert_eq!(row(&s, "412"), counts(&bands, &[0, 1, 1, 0, 0, 1, 0]));
}

const ACTIVITY: &str =
    "visits prescriptions referrals buckets { start visits prescriptions referrals }";

fn series(buckets: &[(&str, [i64; 3])]) -> Value {
    let sum = |i: usize| buckets.iter().map(|(_, b)| b[i]).sum::<i64>();
    json!({
        "visits": sum(0), "prescriptions": sum(1), "referrals": sum(2),
        "buckets": buckets.iter().map(|(start, [v, p, r])| json!({
            "start": start, "visits": v, "prescriptions": p, "referrals": r,
        })).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn clinic_activity_buckets_by_day_in_vietnam_with_zeros() {
    let app = world().await;
    let field = r#"clinicActivity(from: "2025-12-31", to: "2026-01-05", interval: DAY)"#;
    let s = stat(&app, "TW", field, "", ACTIVITY).await;
    let days = [
        "2025-12-31",
        "2026-01-01",
        "2026-01-02",
        "2026-01-03",
        "2026-01-04",
        "2026-01-05",
    ];
    let with = |hits: &[(usize, [i64; 3])]| {
        let mut b: Vec<(&str, [i64; 3])> = days.iter().map(|d| (*d, [0; 3])).collect();
        for (i, v) in hits {
            b[*i].1 = *v;
        }
        series(&b)
    };
    assert_eq!(row(&s, "40"), with(&[(0, [1, 2, 0]), (1, [1, 1, 0])]));
    assert_eq!(row(&s, "TW"), with(&[(5, [1, 1, 0])]));
    assert_eq!(row(&s, "01"), with(&[(4, [0, 0, 1])]));
    assert_eq!(
        total(&s),
        with(&[
            (0, [1, 2, 0]),
            (1, [1, 1, 0]),
            (4, [0, 0, 1]),
            (5, [1, 1, 0])
        ])
    );
    others_are(&s, &["TW", "40", "01"], &with(&[]));

    // ISO weeks across New Year: the week of 29 December 2025 is week 1 of 2026; then months.
    // Each case: viewer, field, the two buckets' starts, and each board's (or the total's)
    // two buckets.
    let weeks = r#"clinicActivity(from: "2025-12-28", to: "2026-01-04", interval: WEEK)"#;
    let months = r#"clinicActivity(from: "2025-12-01", to: "2026-01-31", interval: MONTH)"#;
    let cases = [
        (
            "40",
            weeks,
            ["2025-12-22", "2025-12-29"],
            vec![
                ("40", [[0, 0, 0], [2, 3, 1]]),
                ("412", [[1, 0, 0], [0, 0, 0]]),
                ("total", [[1, 0, 0], [2, 3, 1]]),
            ],
        ),
        (
            "TW",
            months,
            ["2025-12-01", "2026-01-01"],
            vec![
                ("40", [[2, 2, 1], [1, 1, 0]]),
                ("TW", [[0, 0, 0], [1, 1, 0]]),
            ],
        ),
    ];
    for (viewer, field, [start, next], expected) in cases {
        let s = stat(&app, viewer, field, "", ACTIVITY).await;
        for (code, [first, second]) in expected {
            let got = if code == "total" {
                total(&s)
            } else {
                row(&s, code)
            };
            let want = series(&[(start, first), (next, second)]);
            assert_eq!(got, want, "{field} as {viewer}: {code}");
        }
    }

    let bad = app
        .as_board("TW", "analyst")
        .query(r#"{ statistics { clinicActivity(from: "2026-01-02", to: "2026-01-01", interval: DAY) { total { visits } } } }"#)
        .await;
    assert_eq!(crate::helpers::error_codes(&bad), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn bad_arguments_are_bad_user_input_naming_the_field() {
    let app = TestApp::spawn().await;
    let client = app.as_board("TW", "analyst");
    for (query, field) in [
        (
            "{ statistics { examCoverage(year: 2025, round: 3) { total { eligible } } } }",
            "round",
        ),
        (
            "{ statistics { examCoverage(year: 2147483647) { total { eligible } } } }",
            "year",
        ),
        (
            "{ statistics { healthClassDistribution(year: 2147483647, classification: CADRE) { total { unclassified } } } }",
            "year",
        ),
        (
            r#"{ statistics { conditionPrevalence(codes: []) { total { cadres } } } }"#,
            "codes",
        ),
        (
            r#"{ statistics { conditionPrevalence(codes: ["I1_"]) { total { cadres } } } }"#,
            "codes",
        ),
        (
            r#"{ statistics { clinicActivity(from: "2020-01-01", to: "2026-01-01", interval: DAY) { total { visits } } } }"#,
            "to",
        ),
    ] {
        let body = client.query(query).await;
        let codes = crate::helpers::error_codes(&body);
        assert_eq!(codes, ["BAD_USER_INPUT"], "{query}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{query}");
        assert!(!body.to_string().contains("SELECT"), "no SQL in {body}");
    }
}
