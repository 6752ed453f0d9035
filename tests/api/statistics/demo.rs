//! Every statistic over the demo dataset, checked against a computation in plain Rust over the
//! rows themselves, written without the SQL in view: loops and maps, chrono for dates.

use std::collections::{BTreeMap, HashMap, HashSet};

use cadre_health::db::entities::{
    cadre, campaign_enrolment, chronic_condition, clinic_visit, health_exam, prescription,
    referral, vaccination,
};
use cadre_health::domain::CadreStatus;
use cadre_health::seed::{Scale, seed};
use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use super::fixture::day;
use super::{AGE_BANDS, rows, total};
use crate::helpers::TestApp;

/// Which row of a `byBoard` a record with these tenant keys falls in, seen from `board`
/// (`TW` or a province code); `None` when it lies outside the board.
fn row_of(board: &str, province: &Option<String>, district: &Option<String>) -> Option<String> {
    if board == "TW" {
        return Some(province.clone().unwrap_or_else(|| "TW".into()));
    }
    (province.as_deref() == Some(board)).then(|| district.clone().unwrap_or_else(|| board.into()))
}

/// Compares a statistic's rows and total with `expected` (rows absent from it must equal
/// `zero`), and checks the rows add up: the total must equal `sum`.
fn check(name: &str, stat: &Value, expected: &BTreeMap<String, Value>, zero: &Value, sum: &Value) {
    let got = rows(stat);
    assert!(!got.is_empty(), "{name}: no rows");
    // Through JSON text and back, as the response was: parsing may round a float's last bit.
    let reparse = |v: &Value| -> Value { serde_json::from_str(&v.to_string()).expect("json") };
    for (code, cell) in &got {
        let want = reparse(expected.get(code).unwrap_or(zero));
        assert_eq!(cell, &want, "{name}: row {code}");
    }
    for code in expected.keys() {
        assert!(
            got.iter().any(|(c, _)| c == code),
            "{name}: row {code} missing"
        );
    }
    assert_eq!(total(stat), reparse(sum), "{name}: total");
}

fn rate(n: i64, d: i64) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

/// What the rows (cadres, and cadres with each key) add up to: the total to expect.
fn sum_of<const N: usize>(rows: &BTreeMap<String, (i64, [i64; N])>) -> (i64, [i64; N]) {
    let mut sum = (0, [0; N]);
    for (n, with) in rows.values() {
        sum.0 += n;
        for (total, n) in sum.1.iter_mut().zip(with) {
            *total += n;
        }
    }
    sum
}

struct Data {
    cadres: Vec<cadre::Model>,
    enrolments: Vec<campaign_enrolment::Model>,
    exams: Vec<health_exam::Model>,
    conditions: Vec<chronic_condition::Model>,
    vaccinations: Vec<vaccination::Model>,
    visits: Vec<clinic_visit::Model>,
    prescriptions: Vec<prescription::Model>,
    referrals: Vec<referral::Model>,
}

async fn load(app: &TestApp) -> Data {
    async fn all<E: EntityTrait>(app: &TestApp, _: E) -> Vec<E::Model> {
        let rows = E::find().all(&app.db).await;
        rows.unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<E>()))
    }
    Data {
        cadres: all(app, cadre::Entity).await,
        enrolments: all(app, campaign_enrolment::Entity).await,
        exams: all(app, health_exam::Entity).await,
        conditions: all(app, chronic_condition::Entity).await,
        vaccinations: all(app, vaccination::Entity).await,
        visits: all(app, clinic_visit::Entity).await,
        prescriptions: all(app, prescription::Entity).await,
        referrals: all(app, referral::Entity).await,
    }
}

async fn query(app: &TestApp, board: &str, field: &str, selection: &str) -> Value {
    let q = format!(
        "{{ statistics(boardCode: \"{board}\") {{ s: {field} {{ total {{ {selection} }} byBoard {{ board {{ code }} {selection} }} }} }} }}"
    );
    app.as_board("TW", "analyst").data(&q).await["statistics"]["s"].clone()
}

#[tokio::test]
async fn every_statistic_matches_a_plain_rust_count_of_the_demo_rows() {
    let app = TestApp::spawn().await;
    seed(&app.db, Scale::Demo).await.expect("seed demo data");
    let d = load(&app).await;
    assert!(
        d.cadres.len() > 4000 && d.exams.len() > 30_000,
        "demo data is there"
    );
    // The seeder stores each cadre's last exam date, as the exam writes do.
    let mut last: HashMap<uuid::Uuid, NaiveDate> = HashMap::new();
    for e in &d.exams {
        let at = last.entry(e.cadre_id).or_insert(e.examined_on);
        *at = (*at).max(e.examined_on);
    }
    for c in &d.cadres {
        assert_eq!(c.last_exam_on, last.get(&c.id).copied(), "{}", c.full_name);
    }
    let living: Vec<&cadre::Model> = d
        .cadres
        .iter()
        .filter(|c| c.status != CadreStatus::Deceased)
        .collect();

    for board in ["TW", "40"] {
        // examCoverage: enrolments where the cadre was managed at the start.
        for (round, field) in [
            (Some(1), "examCoverage(year: 2025, round: 1)"),
            (Some(2), "examCoverage(year: 2025, round: 2)"),
            (None, "examCoverage(year: 2025)"),
        ] {
            let mut by: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for e in &d.enrolments {
                if e.year != 2025 || round.is_some_and(|r| i32::from(e.round) != r) {
                    continue;
                }
                if let Some(code) = row_of(board, &e.province_code, &e.district_code) {
                    let cell = by.entry(code).or_default();
                    cell.0 += 1;
                    cell.1 += i64::from(e.examined_on.is_some());
                }
            }
            let cell =
                |(e, x): (i64, i64)| json!({"eligible": e, "examined": x, "rate": rate(x, e)});
            let sum = by.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            assert!(sum.0 > 0, "{field}: nothing eligible");
            let expected = by.into_iter().map(|(k, v)| (k, cell(v))).collect();
            let stat = query(&app, board, field, "eligible examined rate").await;
            check(field, &stat, &expected, &cell((0, 0)), &cell(sum));
        }

        // healthClassDistribution: latest exam of the year recording the class.
        for (general, field, names) in [
            (
                false,
                "healthClassDistribution(year: 2025, classification: CADRE)",
                ["A", "B1", "B2", "C", "D"],
            ),
            (
                true,
                "healthClassDistribution(year: 2025, classification: GENERAL)",
                ["I", "II", "III", "IV", "V"],
            ),
        ] {
            let mut latest: HashMap<uuid::Uuid, &health_exam::Model> = HashMap::new();
            for x in &d.exams {
                let class = if general {
                    x.general_class.map(|c| c.as_str())
                } else {
                    x.cadre_class.map(|c| c.as_str())
                };
                if x.examined_on.year() != 2025 || class.is_none() {
                    continue;
                }
                let newer = latest
                    .get(&x.cadre_id)
                    .is_none_or(|y| (x.examined_on, x.id) > (y.examined_on, y.id));
                if newer {
                    latest.insert(x.cadre_id, x);
                }
            }
            let mut by: BTreeMap<String, ([i64; 5], i64)> = BTreeMap::new();
            for x in latest.values() {
                let class = if general {
                    x.general_class.map(|c| c.as_str())
                } else {
                    x.cadre_class.map(|c| c.as_str())
                };
                let i = names
                    .iter()
                    .position(|n| Some(*n) == class)
                    .expect("a class");
                if let Some(code) = row_of(board, &x.province_code, &x.district_code) {
                    by.entry(code).or_default().0[i] += 1;
                }
            }
            for c in &living {
                if !latest.contains_key(&c.id)
                    && let Some(code) = row_of(board, &c.province_code, &c.district_code)
                {
                    by.entry(code).or_default().1 += 1;
                }
            }
            let cell = |(counts, un): ([i64; 5], i64)| {
                json!({
                    "classes": names.iter().zip(counts).map(|(c, n)| json!({"class": c, "cadres": n})).collect::<Vec<_>>(),
                    "classified": counts.iter().sum::<i64>(),
                    "unclassified": un,
                })
            };
            let mut sum = ([0i64; 5], 0i64);
            for (counts, un) in by.values() {
                for (total, n) in sum.0.iter_mut().zip(counts) {
                    *total += n;
                }
                sum.1 += un;
            }
            let expected = by.into_iter().map(|(k, v)| (k, cell(v))).collect();
            let stat = query(
                &app,
                board,
                field,
                "classes { class cadres } classified unclassified",
            )
            .await;
            check(field, &stat, &expected, &cell(([0; 5], 0)), &cell(sum));
        }

        // conditionPrevalence: living cadres with an active condition under each prefix.
        let prefixes = ["I10", "E11", "I2", "N18"];
        let mut has: HashMap<uuid::Uuid, HashSet<usize>> = HashMap::new();
        for x in d.conditions.iter().filter(|x| x.resolved_on.is_none()) {
            for (i, p) in prefixes.iter().enumerate() {
                if x.icd_code.starts_with(p) {
                    has.entry(x.cadre_id).or_default().insert(i);
                }
            }
        }
        let mut by: BTreeMap<String, (i64, [i64; 4])> = BTreeMap::new();
        for c in &living {
            if let Some(code) = row_of(board, &c.province_code, &c.district_code) {
                let cell = by.entry(code).or_default();
                cell.0 += 1;
                for i in has.get(&c.id).into_iter().flatten() {
                    cell.1[*i] += 1;
                }
            }
        }
        let cell = |(n, with): (i64, [i64; 4])| {
            json!({
                "cadres": n,
                "conditions": prefixes.iter().zip(with).map(|(p, k)| json!({"code": p, "cadres": k, "rate": rate(k, n)})).collect::<Vec<_>>(),
            })
        };
        let sum = sum_of(&by);
        let expected = by.into_iter().map(|(k, v)| (k, cell(v))).collect();
        let field = r#"conditionPrevalence(codes: ["I10", "E11", "I2", "N18"])"#;
        let stat = query(&app, board, field, "cadres conditions { code cadres rate }").await;
        check(field, &stat, &expected, &cell((0, [0; 4])), &cell(sum));

        // vaccinationCoverage: living cadres by their highest dose.
        let mut top: HashMap<uuid::Uuid, i16> = HashMap::new();
        for v in d.vaccinations.iter().filter(|v| v.vaccine == "COVID-19") {
            let t = top.entry(v.cadre_id).or_default();
            *t = (*t).max(v.dose_number);
        }
        let mut by: BTreeMap<String, (i64, [i64; 3])> = BTreeMap::new();
        for c in &living {
            if let Some(code) = row_of(board, &c.province_code, &c.district_code) {
                let cell = by.entry(code).or_default();
                cell.0 += 1;
                let t = top.get(&c.id).copied().unwrap_or(0);
                for dose in 1..=3 {
                    cell.1[dose as usize - 1] += i64::from(t >= dose);
                }
            }
        }
        let cell = |(n, at_least): (i64, [i64; 3])| {
            json!({
                "cadres": n,
                "doses": at_least.iter().enumerate().map(|(i, k)| json!({"dose": i + 1, "cadres": k, "rate": rate(*k, n)})).collect::<Vec<_>>(),
            })
        };
        let sum = sum_of(&by);
        let expected = by.into_iter().map(|(k, v)| (k, cell(v))).collect();
        let field = r#"vaccinationCoverage(vaccine: "COVID-19")"#;
        let stat = query(&app, board, field, "cadres doses { dose cadres rate }").await;
        check(field, &stat, &expected, &cell((0, [0; 3])), &cell(sum));

        // cadreCounts: every cadre, by each key; ages on 2026-06-30.
        let as_of = day("2026-06-30");
        let age = |born: NaiveDate| {
            as_of.year()
                - born.year()
                - i32::from((as_of.month(), as_of.day()) < (born.month(), born.day()))
        };
        let band = |c: &cadre::Model| -> &'static str {
            if c.status == CadreStatus::Deceased {
                return "DECEASED";
            }
            match age(c.birth_date) {
                ..40 => "UNDER_40",
                40..50 => "40_TO_49",
                50..60 => "50_TO_59",
                60..70 => "60_TO_69",
                70..80 => "70_TO_79",
                _ => "80_AND_OVER",
            }
        };
        type KeyOf<'a> = Box<dyn Fn(&cadre::Model) -> &'static str + 'a>;
        let keyings: [(&str, Vec<&str>, KeyOf<'_>); 4] = [
            (
                "STATUS",
                vec!["SERVING", "RETIRED", "DECEASED"],
                Box::new(|c| c.status.as_str()),
            ),
            (
                "TIER",
                vec!["POLITBURO", "CENTRAL", "PROVINCIAL", "DISTRICT"],
                Box::new(|c| c.management_tier.as_str()),
            ),
            (
                "GENDER",
                vec!["MALE", "FEMALE"],
                Box::new(|c| c.gender.as_str()),
            ),
            ("AGE_BAND", AGE_BANDS.to_vec(), Box::new(band)),
        ];
        for (by_name, keys, key_of) in keyings {
            let mut by: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for c in &d.cadres {
                if let Some(code) = row_of(board, &c.province_code, &c.district_code) {
                    let cell = by.entry(code).or_insert_with(|| vec![0; keys.len()]);
                    let i = keys.iter().position(|k| *k == key_of(c)).expect("a key");
                    cell[i] += 1;
                }
            }
            let cell = |counts: Vec<i64>| {
                json!({
                    "cadres": counts.iter().sum::<i64>(),
                    "buckets": keys.iter().zip(&counts).map(|(k, n)| json!({"key": k, "cadres": n})).collect::<Vec<_>>(),
                })
            };
            let mut sum = vec![0i64; keys.len()];
            for counts in by.values() {
                for (s, n) in sum.iter_mut().zip(counts) {
                    *s += n;
                }
            }
            let zero = cell(vec![0; keys.len()]);
            let expected = by.into_iter().map(|(k, v)| (k, cell(v))).collect();
            let field = format!(r#"cadreCounts(by: {by_name}, asOf: "2026-06-30")"#);
            let stat = query(&app, board, &field, "cadres buckets { key cadres }").await;
            check(&field, &stat, &expected, &zero, &cell(sum));
        }

        // clinicActivity: days in Vietnam (UTC+7), ISO weeks from their Monday, months.
        let (from, to) = (day("2025-11-15"), day("2026-02-10"));
        for (interval, start_of) in [
            (
                "DAY",
                Box::new(|d: NaiveDate| d) as Box<dyn Fn(NaiveDate) -> NaiveDate>,
            ),
            (
                "WEEK",
                Box::new(|d: NaiveDate| {
                    d - Duration::days(d.weekday().num_days_from_monday().into())
                }),
            ),
            (
                "MONTH",
                Box::new(|d: NaiveDate| d.with_day(1).expect("day 1")),
            ),
        ] {
            let mut starts = vec![];
            let mut dd = from;
            while dd <= to {
                if starts.last() != Some(&start_of(dd)) {
                    starts.push(start_of(dd));
                }
                dd += Duration::days(1);
            }
            let mut by: BTreeMap<String, Vec<[i64; 3]>> = BTreeMap::new();
            let mut tally =
                |keys: (&Option<String>, &Option<String>), on: NaiveDate, what: usize| {
                    if on < from || on > to {
                        return;
                    }
                    if let Some(code) = row_of(board, keys.0, keys.1) {
                        let i = starts
                            .iter()
                            .position(|s| *s == start_of(on))
                            .expect("a bucket");
                        by.entry(code).or_insert_with(|| vec![[0; 3]; starts.len()])[i][what] += 1;
                    }
                };
            let local = |v: &clinic_visit::Model| (v.visited_at + Duration::hours(7)).date_naive();
            let visit_day: HashMap<uuid::Uuid, NaiveDate> =
                d.visits.iter().map(|v| (v.id, local(v))).collect();
            for v in &d.visits {
                tally((&v.province_code, &v.district_code), local(v), 0);
            }
            for p in &d.prescriptions {
                tally(
                    (&p.province_code, &p.district_code),
                    visit_day[&p.visit_id],
                    1,
                );
            }
            for r in &d.referrals {
                tally((&r.province_code, &r.district_code), r.referred_on, 2);
            }
            let cell = |buckets: Vec<[i64; 3]>| {
                let sum = |i: usize| buckets.iter().map(|b| b[i]).sum::<i64>();
                json!({
                    "visits": sum(0), "prescriptions": sum(1), "referrals": sum(2),
                    "buckets": starts.iter().zip(&buckets).map(|(s, [v, p, r])| json!({
                        "start": s.format("%Y-%m-%d").to_string(), "visits": v, "prescriptions": p, "referrals": r,
                    })).collect::<Vec<_>>(),
                })
            };
            let mut sum = vec![[0i64; 3]; starts.len()];
            for buckets in by.values() {
                for (s, b) in sum.iter_mut().zip(buckets) {
                    for i in 0..3 {
                        s[i] += b[i];
                    }
                }
            }
            assert!(sum.iter().any(|b| b[0] > 0), "some visits in range");
            let zero = cell(vec![[0; 3]; starts.len()]);
            let expected = by.into_iter().map(|(k, v)| (k, cell(v))).collect();
            let field =
                format!(r#"clinicActivity(from: "{from}", to: "{to}", interval: {interval})"#);
            let stat = query(
                &app,
                board,
                &field,
                "visits prescriptions referrals buckets { start visits prescriptions referrals }",
            )
            .await;
            check(&field, &stat, &expected, &zero, &cell(sum));
        }
    }
}
