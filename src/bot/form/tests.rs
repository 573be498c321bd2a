//! The step engine's rules on a form's data: what is asked, «Назад», «Пропустить»,
//! conditions, changes from the summary.

use super::data::FormData;
use super::engine::*;
use super::field::{Field, Input};

fn field(key: &'static str) -> Field {
    Field::text(key, key, Box::new(|t| Ok(t.to_owned())))
}

fn data(done: &[&str]) -> FormData {
    FormData {
        done: done.iter().map(|s| s.to_string()).collect(),
        values: done.iter().map(|s| (s.to_string(), "v".to_string())).collect(),
        ..Default::default()
    }
}

fn asked<'a>(fields: &'a [Field], d: &FormData) -> Option<&'a str> {
    match current(fields, d) {
        Step::Field(f) => Some(f.key),
        Step::Summary => None,
    }
}

#[test]
fn the_first_field_not_answered_that_applies_is_asked() {
    let fields = vec![field("a"), field("b").when(false), field("c")];
    assert_eq!(asked(&fields, &data(&[])), Some("a"));
    assert_eq!(
        asked(&fields, &data(&["a"])),
        Some("c"),
        "a field that does not apply is not asked"
    );
    assert_eq!(asked(&fields, &data(&["a", "c"])), None, "then the summary");
}

#[test]
fn step_numbers_count_what_is_counted_and_only_in_a_form_of_fixed_shape() {
    let fields = vec![field("a"), field("c"), field("c2").uncounted(), field("d")];
    assert_eq!(number(&fields, &fields[0]), Some((1, 3)));
    assert_eq!(number(&fields, &fields[1]), Some((2, 3)));
    assert_eq!(number(&fields, &fields[3]), Some((3, 3)));
    assert_eq!(number(&fields, &fields[2]), None);
    // A field asked or not by the answers: the total could change, so none is shown (not
    // «Шаг 1 из 17» then «Шаг 2 из 16»).
    let shaped = vec![field("a"), field("b").when(false), field("c")];
    assert_eq!(number(&shaped, &shaped[0]), None);
    let shaped = vec![field("a"), field("b").when(true), field("c")];
    assert_eq!(number(&shaped, &shaped[2]), None);
}

#[test]
fn answers_of_fields_that_stop_applying_are_dropped() {
    let fields = vec![field("a"), field("b").when(false), field("c")];
    let mut d = data(&["a", "b", "c"]);
    prune(&fields, &mut d);
    assert_eq!(d.done, vec!["a", "c"]);
    assert!(!d.values.contains_key("b"));
}

#[test]
fn back_undoes_the_last_answer_and_then_leaves() {
    let fields = vec![field("a"), field("b"), field("c")];
    let mut d = data(&["a", "b"]);
    assert!(back(&mut d));
    assert_eq!(asked(&fields, &d), Some("b"));
    assert_eq!(d.get("b"), None, "the undone answer is forgotten");
    assert_eq!(d.get("a"), Some("v"), "the one before is kept");
    assert!(back(&mut d));
    assert_eq!(asked(&fields, &d), Some("a"));
    assert!(!back(&mut d), "nothing before the first question: the form is left");
}

#[test]
fn back_first_drops_options_being_collected_and_a_change_in_progress() {
    let fields = vec![field("a"), field("b")];
    let mut d = data(&["a"]);
    d.pending = vec!["x".into()];
    assert!(back(&mut d));
    assert!(d.pending.is_empty());
    assert_eq!(d.done, vec!["a"], "the answers stay");
    let mut d = data(&["a", "b"]);
    d.editing = Some("a".into());
    assert!(back(&mut d));
    assert_eq!(asked(&fields, &d), None, "back to the summary, not to the step before");
    assert_eq!(d.get("a"), Some("v"));
}

#[test]
fn a_skipped_field_counts_as_answered_without_a_value() {
    let fields = vec![field("a").optional(), field("b")];
    let mut d = data(&[]);
    record(&fields, &mut d, "a", None);
    assert_eq!(asked(&fields, &d), Some("b"));
    assert_eq!(d.get("a"), None);
    // «Назад» from b asks a again.
    assert!(back(&mut d));
    assert_eq!(asked(&fields, &d), Some("a"));
}

#[test]
fn a_condition_met_later_asks_its_field_and_one_unmet_drops_it() {
    let make = |b_applies: bool| vec![field("a"), field("b").when(b_applies), field("c")];
    let mut d = data(&["a", "c"]);
    assert_eq!(
        asked(&make(true), &d),
        Some("b"),
        "an answer made b apply: it is asked now"
    );
    record(&make(true), &mut d, "b", Some("x".into()));
    assert_eq!(asked(&make(true), &d), None);
    prune(&make(false), &mut d);
    assert_eq!(d.get("b"), None, "and forgotten when it no longer applies");
}

#[test]
fn a_change_from_the_summary_asks_that_field_then_returns_to_the_summary() {
    let fields = vec![field("a").label("A"), field("b"), field("c").label("C")];
    let mut d = data(&["a", "b", "c"]);
    assert!(!edit(&fields, &mut d, 1), "a field without a label is not offered");
    assert!(!edit(&fields, &mut d, 9));
    d.picking = true;
    assert!(edit(&fields, &mut d, 2));
    assert!(!d.picking, "the list of fields closes");
    assert_eq!(asked(&fields, &d), Some("c"), "asked although answered");
    record(&fields, &mut d, "c", Some("new".into()));
    assert_eq!(asked(&fields, &d), None, "straight back to the summary");
    assert_eq!(d.get("c"), Some("new"));
    assert_eq!(d.done, vec!["a", "b", "c"], "the order of answers is unchanged");
}

#[test]
fn a_new_password_asks_its_repeat_again() {
    let fields = vec![
        Field::new("pw", "pw", Input::NewPassword { login: None }),
        Field::new("pw2", "pw2", Input::RepeatPassword { of: "pw" }).uncounted(),
    ];
    let mut d = data(&["pw", "pw2"]);
    d.editing = Some("pw".into());
    record(&fields, &mut d, "pw", Some("hash".into()));
    assert_eq!(asked(&fields, &d), Some("pw2"));
}

#[test]
fn old_connection_drafts_read_their_order_as_the_answers_done() {
    let d: FormData = serde_json::from_str(r#"{"values":{"a":"1"},"order":["a"],"skipped":[],"files_done":false}"#)
        .expect("an old draft reads");
    assert_eq!(d.done, vec!["a"]);
    assert_eq!(d.get("a"), Some("1"));
}

#[test]
fn back_to_the_files_step_keeps_the_files_attached() {
    let mut d = data(&["a", "files"]);
    d.files.push(crate::store::meters::FileRef {
        file_id: "F".into(),
        file_unique_id: "U".into(),
        name: Some("plan.pdf".into()),
        mime: Some("application/pdf".into()),
        size: Some(10),
    });
    assert!(back(&mut d));
    assert_eq!(d.files.len(), 1, "«Назад» from the summary loses no file");
}
