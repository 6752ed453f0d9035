//! Every entity is readable by ID and as a connection, reachable from its cadre, carries its
//! `board`, stays in scope, and is clinical (or admin-only) where the design says so.

use cadre_health::domain::CadreClass;
use serde_json::Value;

use crate::fixtures::{Records, add_campaign, add_records, put_in_campaign};
use crate::helpers::{TestApp, error_codes};

struct World {
    app: TestApp,
    vinh: Records,
    ha_noi: Records,
    vinh_exam: uuid::Uuid,
    campaign: uuid::Uuid,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let vinh_cadre = app.add_cadre("412", "Nguyễn Văn Ân").await;
    let ha_noi_cadre = app.add_cadre("01", "Vũ Thu Trang").await;
    let vinh = add_records(&app, vinh_cadre, "I10").await;
    let ha_noi = add_records(&app, ha_noi_cadre, "E11").await;
    let vinh_exam = app.add_exam(vinh_cadre, "2025-03-10", CadreClass::B1).await;
    let campaign = add_campaign(&app, "40", 2025, 1).await;
    put_in_campaign(&app, vinh_exam, campaign).await;
    add_campaign(&app, "01", 2025, 1).await;
    World {
        app,
        vinh,
        ha_noi,
        vinh_exam,
        campaign,
    }
}

/// (query field by ID, list field, the record's ID in Vinh, in Hà Nội).
fn lookups(w: &World) -> Vec<(&'static str, &'static str, uuid::Uuid, uuid::Uuid)> {
    vec![
        (
            "chronicCondition",
            "chronicConditions",
            w.vinh.condition,
            w.ha_noi.condition,
        ),
        ("clinicVisit", "clinicVisits", w.vinh.visit, w.ha_noi.visit),
        (
            "prescription",
            "prescriptions",
            w.vinh.prescription,
            w.ha_noi.prescription,
        ),
        ("referral", "referrals", w.vinh.referral, w.ha_noi.referral),
        (
            "consultation",
            "consultations",
            w.vinh.consultation,
            w.ha_noi.consultation,
        ),
        (
            "vaccination",
            "vaccinations",
            w.vinh.vaccination,
            w.ha_noi.vaccination,
        ),
    ]
}

#[tokio::test]
async fn every_record_is_found_by_id_with_its_board_and_cadre_only_in_scope() {
    let w = world().await;
    let nghe_an = w.app.as_board("40", "clinician");
    for (one, list, vinh, ha_noi) in lookups(&w) {
        let data = nghe_an
            .data(&format!(
                r#"{{ mine: {one}(id: "{vinh}") {{ id board {{ code }} }}
                     theirs: {one}(id: "{ha_noi}") {{ id }}
                     {list} {{ totalCount edges {{ node {{ id board {{ code }} }} }} }} }}"#
            ))
            .await;
        assert_eq!(data["mine"]["id"], vinh.to_string(), "{one}");
        assert_eq!(data["mine"]["board"]["code"], "412", "{one}");
        assert_eq!(data["theirs"], Value::Null, "{one} of another province");
        assert_eq!(data[list]["totalCount"], 1, "{list}: {data}");
        assert_eq!(data[list]["edges"][0]["node"]["id"], vinh.to_string());
    }
    let central = w.app.as_board("TW", "clinician");
    for (_, list, _, _) in lookups(&w) {
        let data = central
            .data(&format!("{{ {list} {{ totalCount }} }}"))
            .await;
        assert_eq!(data[list]["totalCount"], 2, "{list} for the centre");
    }
}

#[tokio::test]
async fn a_cadre_reaches_all_of_its_records() {
    let w = world().await;
    let data = w
        .app
        .as_board("412", "clinician")
        .data(&format!(
            r#"{{ cadre(id: "{}") {{
                exams {{ totalCount edges {{ node {{ id board {{ code }} campaign {{ id }} }} }} }}
                conditions {{ edges {{ node {{ id icdCode active cadre {{ id }} }} }} }}
                visits {{ edges {{ node {{ id diagnoses prescriptions {{ id drug visit {{ id }} }} }} }} }}
                referrals {{ edges {{ node {{ id status urgency }} }} }}
                consultations {{ edges {{ node {{ id council }} }} }}
                vaccinations {{ edges {{ node {{ id doseNumber vaccine }} }} }}
            }} }}"#,
            w.vinh.cadre
        ))
        .await;
    let c = &data["cadre"];
    assert_eq!(c["exams"]["totalCount"], 1);
    assert_eq!(
        c["exams"]["edges"][0]["node"]["id"],
        w.vinh_exam.to_string()
    );
    // The campaign belongs to the province, above a district viewer: not visible to them.
    assert_eq!(c["exams"]["edges"][0]["node"]["campaign"], Value::Null);
    let condition = &c["conditions"]["edges"][0]["node"];
    assert_eq!(condition["icdCode"], "I10");
    assert_eq!(condition["active"], true);
    assert_eq!(condition["cadre"]["id"], w.vinh.cadre.to_string());
    let visit = &c["visits"]["edges"][0]["node"];
    assert_eq!(visit["diagnoses"], serde_json::json!(["I10"]));
    assert_eq!(
        visit["prescriptions"][0]["id"],
        w.vinh.prescription.to_string()
    );
    assert_eq!(
        visit["prescriptions"][0]["visit"]["id"],
        w.vinh.visit.to_string()
    );
    assert_eq!(c["referrals"]["edges"][0]["node"]["status"], "REQUESTED");
    assert_eq!(c["referrals"]["edges"][0]["node"]["urgency"], "URGENT");
    assert_eq!(
        c["consultations"]["edges"][0]["node"]["id"],
        w.vinh.consultation.to_string()
    );
    assert_eq!(c["vaccinations"]["edges"][0]["node"]["doseNumber"], 1);

    // The province sees its own campaign on the same exam.
    let data = w
        .app
        .as_board("40", "clinician")
        .data(&format!(
            r#"{{ healthExam(id: "{}") {{ campaign {{ id year round board {{ code }} }} }} }}"#,
            w.vinh_exam
        ))
        .await;
    assert_eq!(data["healthExam"]["campaign"]["id"], w.campaign.to_string());
    assert_eq!(data["healthExam"]["campaign"]["board"]["code"], "40");
}

#[tokio::test]
async fn analysts_are_refused_clinical_records_but_see_campaigns() {
    let w = world().await;
    let analyst = w.app.as_board("40", "analyst");
    for (one, list, vinh, _) in lookups(&w) {
        for query in [
            format!(r#"{{ {one}(id: "{vinh}") {{ id }} }}"#),
            format!("{{ {list} {{ totalCount }} }}"),
        ] {
            let body = analyst.query(&query).await;
            assert_eq!(error_codes(&body), ["FORBIDDEN"], "{query}: {body}");
        }
    }
    let body = analyst.query("{ healthExams { totalCount } }").await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);
    for nested in [
        "exams",
        "conditions",
        "visits",
        "referrals",
        "consultations",
        "vaccinations",
    ] {
        let body = analyst
            .query(&format!(
                r#"{{ cadre(id: "{}") {{ fullName {nested} {{ totalCount }} }} }}"#,
                w.vinh.cadre
            ))
            .await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{nested}: {body}");
        assert_eq!(body["data"]["cadre"]["fullName"], "Nguyễn Văn Ân");
    }
    let data = analyst
        .data(&format!(
            r#"{{ examCampaigns {{ totalCount edges {{ node {{ id year round cohort board {{ code }} }} }} }}
                 examCampaign(id: "{}") {{ name }} }}"#,
            w.campaign
        ))
        .await;
    assert_eq!(data["examCampaigns"]["totalCount"], 1, "{data}");
    assert_eq!(
        data["examCampaigns"]["edges"][0]["node"]["board"]["code"],
        "40"
    );
    assert_eq!(data["examCampaign"]["name"], "Khám định kỳ đợt 1 năm 2025");
}

#[tokio::test]
async fn audit_events_are_for_admins_and_cut_to_their_scope() {
    let w = world().await;
    let query = format!(
        r#"{{ auditEvents {{ totalCount edges {{ node {{ id action board {{ code }} cadre {{ id }} }} }} }}
             theirs: auditEvent(id: "{}") {{ id }} }}"#,
        w.ha_noi.audit
    );
    for role in ["analyst", "clinician"] {
        let body = w.app.as_board("40", role).query(&query).await;
        assert_eq!(
            error_codes(&body),
            ["FORBIDDEN", "FORBIDDEN"],
            "{role}: {body}"
        );
    }
    let data = w.app.as_board("40", "admin").data(&query).await;
    assert_eq!(data["auditEvents"]["totalCount"], 1);
    let event = &data["auditEvents"]["edges"][0]["node"];
    assert_eq!(event["id"], w.vinh.audit.to_string());
    assert_eq!(event["board"]["code"], "412");
    assert_eq!(event["cadre"]["id"], w.vinh.cadre.to_string());
    assert_eq!(data["theirs"], Value::Null);
    let data = w.app.as_board("TW", "admin").data(&query).await;
    assert_eq!(data["auditEvents"]["totalCount"], 2);
}
