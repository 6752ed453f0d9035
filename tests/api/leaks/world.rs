//! The world: an independent reading of the seeded rows (every tenant row's keys and links, the
//! board tree, the cadres' names), against which the checker judges every answer.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use uuid::Uuid;

/// A tenant row's keys, and the IDs of the rows it points to (`cadre_id`, ...).
pub struct Row {
    pub table: String,
    pub province: Option<String>,
    pub district: Option<String>,
    pub links: HashMap<String, String>,
}

pub struct Cadre {
    pub id: String,
    pub status: String,
    pub words: Vec<String>,
}

pub struct World {
    pub rows: HashMap<String, Row>,
    /// Board code → (province, district).
    pub boards: HashMap<String, (Option<String>, Option<String>)>,
    pub ids: Vec<String>,
    pub cadres: Vec<Cadre>,
    /// Audit events at or after this time may not be in `rows` yet.
    pub audit_since: chrono::DateTime<chrono::Utc>,
}

async fn text_rows(db: &DatabaseConnection, sql: &str) -> Vec<Vec<Option<String>>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect(sql);
    rows.iter()
        .map(|r| {
            (0..r.column_names().len())
                .map(|i| {
                    r.try_get_by_index::<Option<String>>(i)
                        .ok()
                        .flatten()
                        .or_else(|| {
                            r.try_get_by_index::<Option<Uuid>>(i)
                                .ok()
                                .flatten()
                                .map(|u| u.to_string())
                        })
                })
                .collect()
        })
        .collect()
}

/// Every table with tenant keys, and its columns, from the catalog of either database.
pub async fn tenant_columns(db: &DatabaseConnection) -> Vec<(String, Vec<String>)> {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        }
        _ => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' ORDER BY m.name, p.cid"
        }
    };
    let mut tables: Vec<(String, Vec<String>)> = vec![];
    for row in text_rows(db, sql).await {
        let (Some(table), Some(column)) = (row[0].clone(), row[1].clone()) else {
            continue;
        };
        match tables.last_mut() {
            Some((t, cols)) if *t == table => cols.push(column),
            _ => tables.push((table, vec![column])),
        }
    }
    tables.retain(|(_, cols)| cols.iter().any(|c| c == "province_code"));
    tables
}

impl World {
    pub async fn read(db: &DatabaseConnection) -> World {
        let mut world = World {
            rows: HashMap::new(),
            boards: HashMap::new(),
            ids: vec![],
            cadres: vec![],
            audit_since: chrono::Utc::now(),
        };
        for row in text_rows(db, "SELECT code, province_code, district_code FROM boards").await {
            let code = row[0].clone().expect("code");
            world.boards.insert(code, (row[1].clone(), row[2].clone()));
        }
        for (table, columns) in tenant_columns(db).await {
            if table == "boards" {
                continue;
            }
            let links: Vec<&String> = columns.iter().filter(|c| c.ends_with("_id")).collect();
            let mut select = vec!["id", "province_code", "district_code"];
            select.extend(links.iter().map(|c| c.as_str()));
            let sql = format!("SELECT {} FROM {table}", select.join(", "));
            for row in text_rows(db, &sql).await {
                let id = row[0].clone().expect("id");
                let links = links
                    .iter()
                    .zip(&row[3..])
                    .filter_map(|(c, v)| v.clone().map(|v| ((*c).clone(), v)))
                    .collect();
                world.ids.push(id.clone());
                world.rows.insert(
                    id,
                    Row {
                        table: table.clone(),
                        province: row[1].clone(),
                        district: row[2].clone(),
                        links,
                    },
                );
            }
        }
        for row in text_rows(db, "SELECT id, status, full_name FROM cadres").await {
            let name = row[2].clone().expect("name");
            world.cadres.push(Cadre {
                id: row[0].clone().expect("id"),
                status: row[1].clone().expect("status"),
                words: fold(&name),
            });
        }
        world
    }

    /// An audit event written after the world was read.
    pub fn add_audit(&mut self, e: cadre_health::db::entities::audit_event::Model) {
        self.audit_since = self.audit_since.max(e.occurred_at);
        let id = e.id.to_string();
        if self.rows.contains_key(&id) {
            return;
        }
        let mut links = HashMap::new();
        if let Some(entity) = e.entity_id {
            links.insert("entity_id".to_owned(), entity.to_string());
        }
        if let Some(cadre) = e.cadre_id {
            links.insert("cadre_id".to_owned(), cadre.to_string());
        }
        self.ids.push(id.clone());
        self.rows.insert(
            id,
            Row {
                table: "audit_events".into(),
                province: e.province_code,
                district: e.district_code,
                links,
            },
        );
    }

    /// Whether a row with these keys lies in the scope of `viewer`'s board (DESIGN, "Tenancy").
    fn visible(&self, viewer: &str, province: &Option<String>, district: &Option<String>) -> bool {
        let (vp, vd) = &self.boards[viewer];
        match (vp, vd) {
            (None, _) => true,
            (Some(p), None) => province.as_ref() == Some(p),
            (Some(_), Some(d)) => district.as_ref() == Some(d),
        }
    }

    pub fn board_visible(&self, viewer: &str, code: &str) -> bool {
        self.boards
            .get(code)
            .is_some_and(|(p, d)| self.visible(viewer, p, d))
    }

    pub fn row_visible(&self, viewer: &str, row: &Row) -> bool {
        self.visible(viewer, &row.province, &row.district)
    }

    pub fn count(&self, viewer: &str, table: &str, link: Option<(&str, &str)>) -> usize {
        self.rows
            .values()
            .filter(|r| r.table == table && self.row_visible(viewer, r))
            .filter(|r| {
                link.is_none_or(|(col, id)| r.links.get(col).map(String::as_str) == Some(id))
            })
            .count()
    }
}

/// Case and diacritics folded, đ included: written here again, apart from the server's code.
pub fn fold(text: &str) -> Vec<String> {
    deunicode::deunicode(&text.replace(['đ', 'Đ'], "d"))
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}
