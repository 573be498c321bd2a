//! `kabinet outage import`: the table of outages a grid company or a water utility publishes,
//! one street a row — settlement, street, houses (empty: the whole street), start, end,
//! reason, and optionally the resource and whether it is an emergency. Times in the utility's
//! zone, «07.12.2026 10:00».

use super::accounts::Refused;
use super::table::{Mapping, Row};
use crate::domain::accounts::read_resource;
use crate::domain::meters::Resource;
use crate::domain::outages::{NewOutage, parse_local};

pub const COLUMNS: [&str; 8] = [
    "settlement",
    "street",
    "houses",
    "start",
    "end",
    "reason",
    "resource",
    "kind",
];
pub const REQUIRED: [&str; 4] = ["settlement", "street", "start", "end"];

pub fn mapping() -> Mapping {
    Mapping::new(&[
        (
            "settlement",
            &["Населенный пункт", "Нас. пункт", "Город", "Поселение", "Район"],
        ),
        ("street", &["Улица", "Адрес", "Улица (проспект, переулок)"]),
        ("houses", &["Дома", "Номера домов", "Дом", "Номер дома"]),
        (
            "start",
            &["Начало", "Дата и время начала", "Время начала", "Начало отключения"],
        ),
        (
            "end",
            &[
                "Окончание",
                "Дата и время окончания",
                "Время окончания",
                "Окончание отключения",
                "Восстановление",
            ],
        ),
        ("reason", &["Причина", "Вид работ", "Причина отключения"]),
        ("resource", &["Ресурс", "Услуга", "Вид ресурса"]),
        ("kind", &["Тип", "Вид отключения", "Характер"]),
    ])
}

/// The outages of the rows; `resource` where a row names none.
pub fn read(rows: &[Row], resource: Resource, utc_offset_hours: i32) -> (Vec<(u64, NewOutage)>, Vec<Refused>) {
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for row in rows {
        match outage(row, resource, utc_offset_hours) {
            Ok(o) => out.push((row.line, o)),
            Err(reason) => refused.push(Refused { line: row.line, reason }),
        }
    }
    (out, refused)
}

fn outage(row: &Row, default: Resource, offset: i32) -> Result<NewOutage, String> {
    let when = |column: &str| {
        parse_local(row.get(column), offset)
            .ok_or_else(|| format!("«{}» is not a time such as 07.12.2026 10:00", row.get(column)))
    };
    let resource = match row.get("resource") {
        "" => default,
        r => Resource::from_str_opt(r)
            .or_else(|| read_resource(r))
            .ok_or_else(|| format!("«{r}» is not a resource"))?,
    };
    let kind = row.get("kind").to_lowercase();
    let emergency = kind.starts_with("авар") || kind.starts_with("внепл") || kind == "emergency";
    let houses = row.get("houses");
    let area = if houses.is_empty() {
        format!("{}, {}", row.get("settlement"), row.get("street"))
    } else {
        format!("{}, {}: {houses}", row.get("settlement"), row.get("street"))
    };
    NewOutage::new(
        resource,
        !emergency,
        &area,
        when("start")?,
        when("end")?,
        row.get("reason"),
    )
}
