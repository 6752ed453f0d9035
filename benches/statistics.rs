//! Statistics at national scale on PostgreSQL: the API (GraphQL over the real router, in a
//! request transaction running as the row-level-security role) against the best single
//! hand-written SQL statement for the same numbers, run on the same database by the owner
//! (no role switch, no policies).
//!
//! ```sh
//! createdb -h 127.0.0.1 -U postgres cadre_national
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadre_national \
//!   cargo run --release -- seed --scale national
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadre_national cargo bench --bench statistics
//! ```
//!
//! Each case is run 3 times to warm the caches, then `RUNS` times; the medians are compared.
//! The bench also checks that the API and the SQL give the same numbers.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use cadre_health::app::{AppState, router};
use cadre_health::auth::TokenKeys;
use cadre_health::domain::Role;
use clap::Parser;
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tower::ServiceExt;

const RUNS: usize = 15;
const SECRET: &[u8] = b"bench-secret-bench-secret-bench-secret-0123";

/// What one case asks the API, and the hand-written statements for the same numbers (the
/// fastest of them is the reference).
struct Case {
    name: &'static str,
    graphql: &'static str,
    sql: &'static [(&'static str, &'static str)],
    /// The API's answer, summarised to compare with the SQL's rows.
    api_sum: fn(&Value) -> i64,
}

/// The second half of two of the statements below: `UNION ALL` the living cadres with no
/// classified exam in 2025, by province (what `unclassified` counts).
macro_rules! union_unexamined {
    () => {
        "UNION ALL \
         SELECT c.province_code, NULL, count(*) FROM cadres c \
         WHERE c.status <> 'DECEASED' AND NOT EXISTS (SELECT 1 FROM health_exams x \
           WHERE x.cadre_id = c.id AND x.examined_on >= DATE '2025-01-01' \
             AND x.examined_on < DATE '2026-01-01' AND x.cadre_class IS NOT NULL) \
         GROUP BY 1"
    };
}

const CASES: &[Case] = &[
    Case {
        name: "central examCoverage(2025, round 1) by province",
        graphql: "{ statistics { examCoverage(year: 2025, round: 1) { total { eligible examined rate } byBoard { board { code } eligible examined rate } } } }",
        sql: &[(
            "GROUP BY over enrolments",
            "SELECT province_code, count(*), count(examined_on) FROM campaign_enrolments \
             WHERE year = 2025 AND round = 1 GROUP BY province_code",
        )],
        api_sum: |v| {
            let t = &v["data"]["statistics"]["examCoverage"]["total"];
            t["eligible"].as_i64().unwrap_or(-1) * 1_000_000 + t["examined"].as_i64().unwrap_or(-1)
        },
    },
    Case {
        name: "central healthClassDistribution(2025, CADRE) by province",
        graphql: "{ statistics { healthClassDistribution(year: 2025, classification: CADRE) { total { classes { class cadres } unclassified } byBoard { board { code } classes { class cadres } classified unclassified } } } }",
        sql: &[
            (
                "DISTINCT ON + NOT EXISTS, UNION ALL",
                concat!(
                    "SELECT province_code, cadre_class, count(*) FROM ( \
                   SELECT DISTINCT ON (cadre_id) province_code, cadre_class FROM health_exams \
                   WHERE examined_on >= DATE '2025-01-01' AND examined_on < DATE '2026-01-01' \
                     AND cadre_class IS NOT NULL \
                   ORDER BY cadre_id, examined_on DESC, id DESC) t GROUP BY 1, 2 ",
                    union_unexamined!()
                ),
            ),
            (
                "ROW_NUMBER() + NOT EXISTS, UNION ALL",
                concat!(
                    "SELECT k, cls, count(*) FROM ( \
                   SELECT province_code k, cadre_class cls, ROW_NUMBER() OVER \
                     (PARTITION BY cadre_id ORDER BY examined_on DESC, id DESC) rn \
                   FROM health_exams WHERE examined_on >= DATE '2025-01-01' \
                     AND examined_on < DATE '2026-01-01' AND cadre_class IS NOT NULL) t \
                 WHERE rn = 1 GROUP BY 1, 2 ",
                    union_unexamined!()
                ),
            ),
            (
                "DISTINCT ON; unclassified = living - classified + deceased classified",
                "WITH latest AS (SELECT DISTINCT ON (cadre_id) province_code, cadre_class \
                   FROM health_exams WHERE examined_on >= DATE '2025-01-01' \
                     AND examined_on < DATE '2026-01-01' AND cadre_class IS NOT NULL \
                   ORDER BY cadre_id, examined_on DESC, id DESC), \
                 classified AS (SELECT province_code, cadre_class, count(*) n FROM latest \
                   GROUP BY 1, 2), \
                 people AS (SELECT province_code, \
                   count(*) FILTER (WHERE status <> 'DECEASED') living, \
                   count(*) FILTER (WHERE status = 'DECEASED' AND EXISTS (SELECT 1 \
                     FROM health_exams x WHERE x.cadre_id = c.id \
                     AND x.examined_on >= DATE '2025-01-01' AND x.examined_on < DATE '2026-01-01' \
                     AND x.cadre_class IS NOT NULL)) gone \
                   FROM cadres c GROUP BY 1) \
                 SELECT province_code, cadre_class, n FROM classified \
                 UNION ALL \
                 SELECT p.province_code, NULL, (p.living + p.gone - coalesce((SELECT sum(n) \
                   FROM classified k WHERE k.province_code IS NOT DISTINCT FROM p.province_code), 0))::bigint \
                 FROM people p",
            ),
            (
                "one pass over cadres LEFT JOIN latest exam",
                "SELECT c.province_code, l.cadre_class, count(*) FROM cadres c \
                 LEFT JOIN LATERAL (SELECT x.cadre_class FROM health_exams x \
                   WHERE x.cadre_id = c.id AND x.examined_on >= DATE '2025-01-01' \
                     AND x.examined_on < DATE '2026-01-01' AND x.cadre_class IS NOT NULL \
                   ORDER BY x.examined_on DESC, x.id DESC LIMIT 1) l ON true \
                 WHERE c.status <> 'DECEASED' OR l.cadre_class IS NOT NULL \
                 GROUP BY 1, 2",
            ),
        ],
        api_sum: |v| {
            let t = &v["data"]["statistics"]["healthClassDistribution"]["total"];
            let classified: i64 = t["classes"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c["cadres"].as_i64()).sum())
                .unwrap_or(-1);
            classified * 1_000_000 + t["unclassified"].as_i64().unwrap_or(-1)
        },
    },
];

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn time<F, Fut>(mut f: F) -> anyhow::Result<(Duration, Duration)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..3 {
        f().await?;
    }
    let mut runs = vec![];
    for _ in 0..RUNS {
        let start = Instant::now();
        f().await?;
        runs.push(start.elapsed());
    }
    let best = *runs.iter().min().unwrap_or(&Duration::ZERO);
    Ok((median(runs), best))
}

/// The SQL's answer, summarised like `Case::api_sum`.
async fn sql_sum(db: &DatabaseConnection, case: &Case, sql: &str) -> anyhow::Result<i64> {
    let rows = db
        .query_all_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await?;
    if case.name.contains("examCoverage") {
        let (mut e, mut x) = (0i64, 0i64);
        for r in rows {
            e += r.try_get_by_index::<i64>(1)?;
            x += r.try_get_by_index::<i64>(2)?;
        }
        Ok(e * 1_000_000 + x)
    } else {
        let (mut classified, mut unclassified) = (0i64, 0i64);
        for r in rows {
            let class: Option<String> = r.try_get_by_index(1)?;
            let n: i64 = r.try_get_by_index(2)?;
            match class {
                Some(_) => classified += n,
                None => unclassified += n,
            }
        }
        Ok(classified * 1_000_000 + unclassified)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").map_err(|_| {
        anyhow::anyhow!("set DATABASE_URL to a PostgreSQL database seeded with --scale national")
    })?;
    let db = cadre_health::db::connect(&url).await?;
    anyhow::ensure!(
        db.get_database_backend() == DatabaseBackend::Postgres,
        "the benchmark runs on PostgreSQL"
    );
    let mut config = cadre_health::cli::Cli::parse_from(["cadre-health"]).config;
    config.database_url = Some(url.clone());
    let max_lifetime = config.max_token_lifetime;
    let keys = TokenKeys::hs256(SECRET, max_lifetime);
    let token = keys
        .issue("TW", Role::Analyst, "bench", Duration::from_secs(3600))
        .map_err(|e| anyhow::anyhow!("sign a token: {:?}", e))?;
    let state = AppState::new(db.clone(), config, TokenKeys::hs256(SECRET, max_lifetime))
        .await
        .map_err(|e| anyhow::anyhow!("build the app: {:?}", e))?;
    let app = router(state);
    let counts = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT (SELECT count(*) FROM cadres), (SELECT count(*) FROM health_exams), \
             (SELECT count(*) FROM campaign_enrolments)",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no counts"))?;
    println!(
        "database: {} cadres, {} exams, {} enrolments; {RUNS} runs each after 3 warm-ups\n",
        counts.try_get_by_index::<i64>(0)?,
        counts.try_get_by_index::<i64>(1)?,
        counts.try_get_by_index::<i64>(2)?,
    );

    let ask = |query: &'static str| {
        let app = app.clone();
        let token = token.clone();
        async move {
            let request = Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(json!({ "query": query }).to_string()))?;
            let response = app.oneshot(request).await?;
            let bytes = response.into_body().collect().await?.to_bytes();
            let body: Value = serde_json::from_slice(&bytes)?;
            anyhow::ensure!(body.get("errors").is_none(), "API error: {body}");
            Ok::<Value, anyhow::Error>(body)
        }
    };

    for case in CASES {
        println!("{}", case.name);
        let answer = ask(case.graphql).await?;
        let api = (case.api_sum)(&answer);
        let (api_median, api_best) = time(|| async {
            ask(case.graphql).await?;
            Ok(())
        })
        .await?;
        let mut reference: Option<(Duration, &str)> = None;
        for (label, sql) in case.sql {
            let got = sql_sum(&db, case, sql).await?;
            anyhow::ensure!(got == api, "{label}: SQL gives {got}, the API {api}");
            let (median, best) = time(|| async {
                db.query_all_raw(Statement::from_string(DatabaseBackend::Postgres, *sql))
                    .await?;
                Ok(())
            })
            .await?;
            println!(
                "  hand-written SQL, {label}: median {} (best {})",
                ms(median),
                ms(best)
            );
            if reference.is_none_or(|(d, _)| median < d) {
                reference = Some((median, label));
            }
        }
        let (reference, label) = reference.ok_or_else(|| anyhow::anyhow!("no SQL"))?;
        println!(
            "  API (GraphQL, scoped, row-level security): median {} (best {})",
            ms(api_median),
            ms(api_best)
        );
        println!(
            "  ratio API / best SQL ({label}): {:.2}x\n",
            api_median.as_secs_f64() / reference.as_secs_f64()
        );
    }
    Ok(())
}
