//! Statistics are cut to the viewer's scope: a board outside it answers exactly like a board
//! that does not exist, and a board above the viewer's answers with the viewer's own board.

use serde_json::{Value, json};

use super::exact::world;
use super::rows;
use crate::helpers::{TestApp, error_codes};

/// Every statistic at once, for one board code (or the viewer's own with `None`).
fn everything(board: Option<&str>) -> String {
    let args = board.map_or(String::new(), |b| format!("(boardCode: \"{b}\")"));
    format!(
        r#"{{ statistics{args} {{
            board {{ code }}
            coverage: examCoverage(year: 2025, round: 1) {{ total {{ eligible examined }} byBoard {{ board {{ code }} eligible examined }} }}
            classes: healthClassDistribution(year: 2025, classification: CADRE) {{ total {{ classes {{ cadres }} unclassified }} byBoard {{ board {{ code }} classified unclassified }} }}
            prevalence: conditionPrevalence(codes: ["I10", "E11", "I2"]) {{ total {{ cadres conditions {{ cadres }} }} byBoard {{ board {{ code }} cadres }} }}
            activity: clinicActivity(from: "2025-12-01", to: "2026-01-31", interval: MONTH) {{ total {{ visits prescriptions referrals }} byBoard {{ board {{ code }} visits }} }}
            vaccination: vaccinationCoverage(vaccine: "COVID-19") {{ total {{ cadres doses {{ cadres }} }} byBoard {{ board {{ code }} cadres }} }}
            counts: cadreCounts(by: STATUS) {{ total {{ cadres buckets {{ cadres }} }} byBoard {{ board {{ code }} cadres }} }}
        }} }}"#
    )
}

async fn ask(app: &TestApp, viewer: &str, role: &str, board: Option<&str>) -> Value {
    app.as_board(viewer, role).query(&everything(board)).await
}

#[tokio::test]
async fn a_board_outside_the_scope_answers_like_one_that_does_not_exist() {
    let app = world().await;
    for (viewer, outside) in [("40", "01"), ("40", "001"), ("412", "414"), ("412", "01")] {
        let outside_answer = ask(&app, viewer, "analyst", Some(outside)).await;
        let missing_answer = ask(&app, viewer, "analyst", Some("XYZ")).await;
        assert_eq!(
            error_codes(&outside_answer),
            ["NOT_FOUND"],
            "{viewer} asking {outside}"
        );
        assert_eq!(
            outside_answer, missing_answer,
            "{viewer}: {outside} must look exactly like a board that does not exist"
        );
        assert_eq!(outside_answer["data"], Value::Null);
    }
}

#[tokio::test]
async fn a_district_asking_for_the_centre_sees_only_its_district() {
    let app = world().await;
    let own = ask(&app, "412", "analyst", None).await;
    assert!(own.get("errors").is_none(), "{own}");
    for above in ["TW", "40", "412"] {
        let answer = ask(&app, "412", "analyst", Some(above)).await;
        assert_eq!(answer, own, "412 asking for {above}");
    }
    let s = &own["data"]["statistics"];
    assert_eq!(s["board"]["code"], "412");
    for stat in [
        "coverage",
        "classes",
        "prevalence",
        "activity",
        "vaccination",
        "counts",
    ] {
        let codes: Vec<String> = rows(&s[stat]).into_iter().map(|(c, _)| c).collect();
        assert_eq!(codes, ["412"], "{stat}: a district has only its own row");
    }
    // Only 412's cadres: c5, c6, c7 (c7 was enrolled in round 1 under 414).
    assert_eq!(
        s["coverage"]["total"],
        json!({"eligible": 2, "examined": 1})
    );
    assert_eq!(s["counts"]["total"]["cadres"], 3);
    assert_eq!(s["prevalence"]["total"]["cadres"], 3);
    assert_eq!(
        s["activity"]["total"],
        json!({"visits": 1, "prescriptions": 0, "referrals": 0})
    );
}

#[tokio::test]
async fn a_province_sees_its_subtree_whatever_it_asks_for_above_it() {
    let app = world().await;
    let own = ask(&app, "40", "clinician", None).await;
    assert!(own.get("errors").is_none(), "{own}");
    assert_eq!(ask(&app, "40", "clinician", Some("TW")).await, own);
    let s = &own["data"]["statistics"];
    assert_eq!(s["board"]["code"], "40");
    assert_eq!(
        s["coverage"]["total"],
        json!({"eligible": 6, "examined": 4})
    );
    assert_eq!(s["counts"]["total"]["cadres"], 6);
    let codes: Vec<String> = rows(&s["counts"]).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes[0], "40");
    assert!(codes.contains(&"412".to_owned()) && codes.contains(&"414".to_owned()));
    assert!(
        codes[1..].iter().all(|c| c.len() == 3),
        "only Nghệ An's districts"
    );

    // Drilling down into a district of its own.
    let district = ask(&app, "40", "clinician", Some("412")).await;
    assert_eq!(district, ask(&app, "412", "analyst", None).await);
}

#[tokio::test]
async fn every_role_may_read_statistics() {
    let app = world().await;
    let central = ask(&app, "TW", "analyst", None).await;
    assert!(central.get("errors").is_none(), "{central}");
    assert_eq!(
        central["data"]["statistics"]["counts"]["total"]["cadres"],
        9
    );
    for role in ["clinician", "admin"] {
        assert_eq!(ask(&app, "TW", role, None).await, central, "{role}");
    }
}
