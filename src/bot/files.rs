//! Files people attach: photos and documents of allowed types and sizes.

use crate::store::meters::FileRef;
use teloxide::types::Message;

pub use crate::policy::MAX_FILE_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    /// Not a photo or a document at all.
    NotAFile,
    WrongType,
    TooBig,
}

/// The file in a message, if it is a photo (the largest size) or a document of an allowed
/// type (`allowed` lists MIME types and file-name endings) within the size limit.
pub fn file_of(msg: &Message, allowed: &[&str]) -> Result<FileRef, FileProblem> {
    if let Some(sizes) = msg.photo() {
        let Some(p) = sizes.iter().max_by_key(|p| p.width * p.height) else {
            return Err(FileProblem::NotAFile);
        };
        if too_big(p.file.size) {
            return Err(FileProblem::TooBig);
        }
        return Ok(FileRef {
            file_id: p.file.id.0.clone(),
            file_unique_id: p.file.unique_id.0.clone(),
            name: None,
            mime: Some("image/jpeg".into()),
            size: Some(i64::from(p.file.size)),
        });
    }
    let Some(doc) = msg.document() else {
        return Err(FileProblem::NotAFile);
    };
    if too_big(doc.file.size) {
        return Err(FileProblem::TooBig);
    }
    let mime = doc.mime_type.as_ref().map(|m| m.essence_str().to_owned());
    let name = doc.file_name.clone();
    let by_mime = mime.as_deref().is_some_and(|m| allowed.contains(&m));
    let by_name = name.as_deref().is_some_and(|n| {
        let n = n.to_lowercase();
        allowed.iter().any(|a| a.starts_with('.') && n.ends_with(a))
    });
    if !(by_mime || by_name) {
        return Err(FileProblem::WrongType);
    }
    Ok(FileRef {
        file_id: doc.file.id.0.clone(),
        file_unique_id: doc.file.unique_id.0.clone(),
        name,
        mime,
        size: Some(i64::from(doc.file.size)),
    })
}

/// Photos and PDF: what meter papers are sent as.
pub const PHOTO_OR_PDF: &[&str] = &[
    "application/pdf",
    ".pdf",
    "image/jpeg",
    "image/png",
    ".jpg",
    ".jpeg",
    ".png",
];

/// Telegram always sends sizes; teloxide fills a missing one with u32::MAX, read as unknown.
fn too_big(size: u32) -> bool {
    size != u32::MAX && size > MAX_FILE_BYTES
}

/// Sends a stored file to the chat by its Telegram id; if Telegram refuses the id (another
/// bot token, an expired id), from the bytes kept with it; else says it is unavailable.
pub async fn send_attachment(ctx: &super::Ctx, f: crate::store::tickets::Attachment) -> super::HandlerResult {
    use crate::telegram::{Extras, FileSource, OutFile, Priority, SendError};
    let tg = ctx.tg();
    let by_id = OutFile {
        source: FileSource::Id(f.file_id.clone()),
        photo: false,
    };
    match (
        tg.send_file(ctx.chat, Priority::Reply, &by_id, None, Extras::default())
            .await,
        f.content,
    ) {
        (Ok(_), _) => Ok(()),
        (Err(SendError::Refused(e)), Some(bytes)) => {
            tracing::warn!(error = %e, "file id refused; sending the stored copy");
            let copy = OutFile {
                source: FileSource::Bytes {
                    bytes,
                    name: f.name.unwrap_or_else(|| "document".into()),
                },
                photo: false,
            };
            tg.send_file(ctx.chat, Priority::Reply, &copy, None, Extras::default())
                .await?;
            Ok(())
        }
        (Err(SendError::Refused(e)), None) => {
            tracing::warn!(error = %e, "file id refused and no stored copy");
            ctx.say(ctx.t("ticket.file_unavailable")).await
        }
        (Err(e), _) => Err(e.into()),
    }
}

/// A message being composed (a follow-up, an addition): takes a text or a file from `msg`,
/// saying what is wrong with it if anything.
pub async fn compose_take(
    ctx: &super::Ctx,
    msg: &teloxide::types::Message,
    text: &mut Option<String>,
    files: &mut Vec<FileRef>,
    allowed: &[&str],
    max_files: usize,
) -> Result<(), super::HandlerError> {
    use crate::domain::tickets::{self, TextError};
    if let Some(t) = msg.text() {
        match tickets::parse_text(t) {
            Ok(t) => *text = Some(t),
            Err(TextError::Empty) => ctx.say(ctx.t("common.text_expected")).await?,
            Err(TextError::TooLong { len }) => {
                let (len, max) = (len.to_string(), tickets::MAX_TEXT.to_string());
                ctx.say(ctx.tf("ticket.text_too_long", &[("len", &len), ("max", &max)]))
                    .await?
            }
        }
        return Ok(());
    }
    match file_of(msg, allowed) {
        Ok(_) if files.len() >= max_files => {
            ctx.say(ctx.tf("files.too_many", &[("max", &max_files.to_string())]))
                .await
        }
        Ok(f) => {
            files.push(f);
            Ok(())
        }
        Err(p) => ctx.say(super::meters::file_problem(ctx, p)).await,
    }
}

/// The question of a message being composed, what it holds so far, and «Отправить» once it
/// holds something.
pub async fn compose_prompt(
    ctx: &super::Ctx,
    question_key: &str,
    text: &Option<String>,
    files: &[FileRef],
) -> super::HandlerResult {
    use super::keyboards;
    use crate::callback::Cb;
    let filled = text.is_some() || !files.is_empty();
    let mut rows = Vec::new();
    if filled {
        rows.push(vec![keyboards::button(ctx.loc, "req.send", Cb::Save)]);
    }
    rows.push(keyboards::nav_row(ctx.loc, false));
    let mut question = ctx.t(question_key);
    if filled {
        let n = crate::i18n::plural(ctx.loc, "plural.files", files.len() as u64);
        let got = ctx.tf(
            "ticket.follow_got",
            &[("files", &n), ("text", if text.is_some() { "✓" } else { "—" })],
        );
        question.push_str(&format!("\n\n{got}"));
    }
    ctx.say_with(question, keyboards::inline(rows)).await
}
