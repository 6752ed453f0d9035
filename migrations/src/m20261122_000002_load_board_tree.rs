//! Loads the real board tree: `TW` at the root, the 63 provinces and 696 districts of Vietnam as
//! they stood in 2024 (official GSO codes), shipped in `data/vn-admin-units-2024.csv`.

use sea_orm_migration::prelude::*;

use crate::tenant::{Boards, Tenant, cols};

const ADMIN_UNITS: &str = include_str!("data/vn-admin-units-2024.csv");

/// One board row: code, name, level, parent, province key, district key.
type BoardRow = [Option<String>; 6];

fn board_rows() -> Result<Vec<BoardRow>, DbErr> {
    let bad = |e: csv::Error| DbErr::Migration(format!("reference board tree: {e}"));
    let mut rows: Vec<BoardRow> = vec![[
        Some("TW".into()),
        Some("Trung ương".into()),
        Some("CENTRAL".into()),
        None,
        None,
        None,
    ]];
    for record in csv::Reader::from_reader(ADMIN_UNITS.as_bytes()).records() {
        let record = record.map_err(bad)?;
        let field = |i: usize| record.get(i).unwrap_or_default().trim().to_owned();
        let (code, name, level, parent) = (field(0), field(1), field(2), field(3));
        rows.push(match level.as_str() {
            "province" => [
                Some(code.clone()),
                Some(name),
                Some("PROVINCE".into()),
                Some("TW".into()),
                Some(code),
                None,
            ],
            "district" => [
                Some(code.clone()),
                Some(name),
                Some("DISTRICT".into()),
                Some(parent.clone()),
                Some(parent),
                Some(code),
            ],
            other => {
                return Err(DbErr::Migration(format!(
                    "reference board tree: unknown level {other:?}"
                )));
            }
        });
    }
    Ok(rows)
}

migration! {
    up(manager) {
        // Provinces come before their districts in the file, so parents always exist first.
        for chunk in board_rows()?.chunks(200) {
            let mut insert = Query::insert();
            insert.into_table(Boards::Table).columns(cols![
                Boards::Code,
                Boards::Name,
                Boards::Level,
                Boards::ParentCode,
                Tenant::ProvinceCode,
                Tenant::DistrictCode,
            ]);
            for row in chunk {
                insert.values_panic(row.iter().cloned().map(Expr::value));
            }
            manager.exec_stmt(insert).await?;
        }
        Ok(())
    }
    down(manager) {
        manager
            .exec_stmt(Query::delete().from_table(Boards::Table).to_owned())
            .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_tree_has_the_centre_63_provinces_and_696_districts() {
        let rows = super::board_rows().expect("reference data parses");
        let count = |level: &str| {
            rows.iter()
                .filter(|r| r[2].as_deref() == Some(level))
                .count()
        };
        assert_eq!(
            (count("CENTRAL"), count("PROVINCE"), count("DISTRICT")),
            (1, 63, 696)
        );
    }
}
