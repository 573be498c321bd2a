//! Files people attach (photos and documents of allowed types and sizes), files sent back to
//! them, and a message being composed of a text and files («Дополнить»).

use super::ctx::Ctx;
use super::deps::{HandlerError, HandlerResult};
use super::ui;
use crate::callback::StepCb;
use crate::policy::MAX_FILE_BYTES;
use crate::store::meters::FileRef;

use super::compose::Compose;
use teloxide::types::Message;

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

/// Telegram always sends sizes; teloxide fills a missing one with u32::MAX, read as unknown.
fn too_big(size: u32) -> bool {
    size != u32::MAX && size > MAX_FILE_BYTES
}

pub fn problem_text(ctx: &Ctx, p: FileProblem) -> String {
    match p {
        FileProblem::NotAFile => ctx.t("files.not_a_file"),
        FileProblem::WrongType => ctx.t("files.wrong_type"),
        FileProblem::TooBig => ctx.tf("files.too_big", &[("max", &(MAX_FILE_BYTES / 1024 / 1024).to_string())]),
    }
}

/// A file the bot made (a receipt, a QR code) to this chat, after what was said before it; a
/// photo when `photo`, else a document named `name`.
pub fn send_bytes(ctx: &Ctx, bytes: Vec<u8>, name: String, photo: bool, caption: String) {
    use crate::telegram::{Extras, FileSource, OutFile, Priority};
    let tg = ctx.tg().clone();
    let chat = ctx.chat;
    // Not sent: the person is told to try again rather than left waiting.
    let sorry = ctx.t("common.error");
    ctx.tg().queue(chat, async move {
        let file = OutFile {
            source: FileSource::Bytes { bytes, name },
            photo,
        };
        if let Err(e) = tg
            .send_file(chat, Priority::Reply, &file, Some(&caption), Extras::default())
            .await
        {
            tracing::warn!(error = %e, "a made file was not sent");
            if let Err(e) = tg.send(chat, Priority::Reply, &sorry, Extras::default()).await {
                tracing::warn!(error = %e, "nor the apology");
            }
        }
    });
}

pub async fn send_attachment(ctx: &Ctx, f: crate::store::tickets::Attachment) -> HandlerResult {
    use crate::telegram::{Extras, FileSource, OutFile, Priority, SendError};
    let tg = ctx.tg().clone();
    let chat = ctx.chat;
    let unavailable = ctx.t("ticket.file_unavailable");
    ctx.tg().queue(chat, async move {
        let by_id = OutFile {
            source: FileSource::Id(f.file_id.clone()),
            photo: false,
        };
        let result = match (
            tg.send_file(chat, Priority::Reply, &by_id, None, Extras::default())
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
                tg.send_file(chat, Priority::Reply, &copy, None, Extras::default())
                    .await
                    .map(|_| ())
            }
            (Err(SendError::Refused(e)), None) => {
                tracing::warn!(error = %e, "file id refused and no stored copy");
                tg.send(chat, Priority::Reply, &unavailable, Extras::default())
                    .await
                    .map(|_| ())
            }
            (Err(e), _) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "a file was not sent");
        }
    });
    Ok(())
}

/// What a message being composed does with each message and how it asks.
impl Compose {
    /// Takes a text or a file from `msg`, saying what is wrong with it if anything.
    pub async fn take(
        &mut self,
        ctx: &Ctx,
        msg: &Message,
        allowed: &[&str],
        max_files: usize,
    ) -> Result<(), HandlerError> {
        use crate::domain::tickets;
        if let Some(t) = msg.text() {
            match tickets::parse_text(t) {
                Ok(t) => self.text = Some(t),
                Err(e) => ctx.say(super::input_errors::text_error(ctx.loc, e)).await?,
            }
            return Ok(());
        }
        match file_of(msg, allowed) {
            Ok(_) if self.files.len() >= max_files => {
                ctx.say(ctx.tf("files.too_many", &[("max", &max_files.to_string())]))
                    .await
            }
            Ok(f) => {
                self.files.push(f);
                Ok(())
            }
            Err(p) => ctx.say(problem_text(ctx, p)).await,
        }
    }

    /// The question, what the message holds so far, and «Отправить» once it holds something.
    pub async fn prompt(&self, ctx: &Ctx, question_key: &str) -> HandlerResult {
        let mut rows = Vec::new();
        if !self.is_empty() {
            rows.push(ui::row(ctx.loc, "req.send", StepCb::Save));
        }
        rows.push(ui::nav_row(ctx.loc, false));
        let mut question = ctx.t(question_key);
        if !self.is_empty() {
            let n = crate::i18n::plural(ctx.loc, "plural.files", self.files.len() as u64);
            let got = ctx.tf(
                "ticket.follow_got",
                &[("files", &n), ("text", if self.text.is_some() { "✓" } else { "—" })],
            );
            question.push_str(&format!("\n\n{got}"));
        }
        ctx.say_with(question, ui::inline(rows)).await
    }
}
