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

struct Lineage {
    parent: Option<String>,
    opened_on: Option<String>,
    closed: Option<(String, String)>,
}

pub struct World {
    pub rows: HashMap<String, Row>,
    /// Board code → (province, district).
    pub boards: HashMap<String, (Option<String>, Option<String>)>,
    /// Board code → its parent, the day it opened and, once closed, the day and its successor.
    lineage: HashMap<String, Lineage>,
    /// Today in Vietnam, `YYYY-MM-DD`: the day the server answers for.
    today: String,
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
            lineage: HashMap::new(),
            today: (chrono::Utc::now() + chrono::Duration::hours(7))
                .date_naive()
                .to_string(),
            ids: vec![],
            cadres: vec![],
            audit_since: chrono::Utc::now(),
        };
        let sql = "SELECT code, province_code, district_code, parent_code, \
                   CAST(opened_on AS TEXT), CAST(closed_on AS TEXT), successor_code FROM boards";
        for row in text_rows(db, sql).await {
            let code = row[0].clone().expect("code");
            world
                .boards
                .insert(code.clone(), (row[1].clone(), row[2].clone()));
            let closed = row[5].clone().zip(row[6].clone());
            let lineage = Lineage {
                parent: row[3].clone(),
                opened_on: row[4].clone(),
                closed,
            };
            world.lineage.insert(code, lineage);
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

    /// Whether a row with these keys lies in the scope of `viewer`'s board (DESIGN, "Tenancy"):
    /// the board its keys name (its district, else its province), or whoever holds that
    /// board's records today after a reorganisation, lies in the viewer's subtree. Written
    /// here again, apart from the server's code, by walking the lineage row by row.
    fn visible(&self, viewer: &str, province: &Option<String>, district: &Option<String>) -> bool {
        self.held_within(province, district, viewer)
    }

    /// Whether the records keyed (`province`, `district`) are held today inside `board`'s
    /// subtree.
    fn held_within(
        &self,
        province: &Option<String>,
        district: &Option<String>,
        board: &str,
    ) -> bool {
        let Some(keyed) = district.as_ref().or(province.as_ref()) else {
            return self.boards.get(board).is_some_and(|(p, _)| p.is_none());
        };
        let mut at = Some(self.holder(keyed));
        while let Some(code) = at {
            if code == board {
                return true;
            }
            at = self.lineage.get(&code).and_then(|l| l.parent.clone());
        }
        false
    }

    /// The board that holds `code`'s records today: itself while open, else its successor's
    /// holder.
    fn holder(&self, code: &str) -> String {
        let mut code = code.to_owned();
        for _ in 0..=self.lineage.len() {
            match self.lineage.get(&code).and_then(|l| l.closed.clone()) {
                Some((closed_on, successor)) if closed_on <= self.today => code = successor,
                _ => break,
            }
        }
        code
    }

    /// Whether `code` is open today: `board(code)` and `boards` answer only for those.
    pub fn board_open(&self, code: &str) -> bool {
        self.board_open_on(code, None)
    }

    /// Whether `code` is open on `day` (`YYYY-MM-DD`; today when `None`).
    pub fn board_open_on(&self, code: &str, day: Option<&str>) -> bool {
        let day = day.unwrap_or(&self.today);
        self.lineage.get(code).is_some_and(|l| {
            l.opened_on.as_deref().is_none_or(|d| d <= day)
                && l.closed.as_ref().is_none_or(|(d, _)| d.as_str() > day)
        })
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

    /// Whether `row` is held under board `code` (a `boardCode` filter): an open board, whose
    /// subtree holds the row today.
    pub fn held_under(&self, row: &Row, code: &str) -> bool {
        self.board_open(code) && self.held_within(&row.province, &row.district, code)
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
