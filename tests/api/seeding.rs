//! `cadre-health seed`: the same deterministic data on both databases, `--scale N` seeds N
//! cadres, a seeded database is refused unless `--reset`, which starts again from empty.

use cadre_health::db::{self, entities};
use sea_orm::{EntityTrait, QueryOrder};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

/// Every seeded table's rows, by ID, as the entities read them back: one digest.
async fn digest(app: &TestApp) -> String {
    let tx = db::begin_system(&app.db).await.expect("begin");
    let mut hash = Sha256::new();
    macro_rules! table {
        ($($entity:ident),+) => {$(
            let rows = entities::$entity::Entity::find()
                .order_by_asc(entities::$entity::Column::Id)
                .all(&tx)
                .await
                .expect(stringify!($entity));
            hash.update(format!("{} {}\n", stringify!($entity), rows.len()));
            for row in rows {
                hash.update(format!("{row:?}\n"));
            }
        )+};
    }
    table!(
        exam_campaign,
        cadre,
        chronic_condition,
        health_exam,
        campaign_enrolment,
        clinic_visit,
        prescription,
        referral,
        consultation,
        vaccination
    );
    tx.rollback().await.ok();
    hex::encode(hash.finalize())
}

/// The demo data every test and every first run starts from: the same rows, byte for byte, on
/// SQLite and PostgreSQL, whatever the loader does. (Pinned before the loader was rewritten.)
#[tokio::test]
async fn the_demo_seed_is_the_same_rows_on_every_database() {
    let app = TestApp::seeded().await;
    assert_eq!(digest(&app).await, "aff1f232e2fbb3183dd3d2921d029c2eebcf0dbfdebf821cc3b0918932ee7539");
}
