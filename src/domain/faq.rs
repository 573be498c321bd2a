//! «Частые вопросы» as the utility writes them (`FAQ_FILE`), in Markdown grouped by topic:
//!
//! ```text
//! ## Начисления и оплата
//! ### Почему сумма в квитанции выросла?
//! Тариф меняется с 1 июля…
//! ```
//!
//! A `##` heading is a topic (named as the appeal topics are, so an appeal can start on it), a
//! `###` heading a question, the lines under it its answer. A `#` title and blank lines around
//! are ignored.

/// Limits that keep every list a screen of buttons and every answer one message.
pub const MAX_TOPICS: usize = 20;
pub const MAX_QUESTIONS: usize = 30;
pub const MAX_QUESTION: usize = 120;
pub const MAX_ANSWER: usize = 3000;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Faq {
    pub topics: Vec<Topic>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub name: String,
    pub items: Vec<Qa>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qa {
    pub question: String,
    pub answer: String,
}

impl Faq {
    /// The file's text read, or what is wrong with it, with its line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut faq = Faq::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim_end();
            let at = n + 1;
            if let Some(name) = line.strip_prefix("### ") {
                let topic = faq
                    .topics
                    .last_mut()
                    .ok_or(format!("line {at}: a question before any «## topic»"))?;
                let question = name.trim().to_owned();
                if question.is_empty() || question.chars().count() > MAX_QUESTION {
                    return Err(format!("line {at}: a question of 1 to {MAX_QUESTION} characters"));
                }
                topic.items.push(Qa {
                    question,
                    answer: String::new(),
                });
            } else if let Some(name) = line.strip_prefix("## ") {
                let name = name.trim().to_owned();
                if name.is_empty() {
                    return Err(format!("line {at}: a topic needs a name"));
                }
                faq.topics.push(Topic {
                    name,
                    items: Vec::new(),
                });
            } else if line.starts_with("# ") && faq.topics.is_empty() {
                continue;
            } else if let Some(qa) = faq.topics.last_mut().and_then(|t| t.items.last_mut()) {
                if !qa.answer.is_empty() || !line.trim().is_empty() {
                    qa.answer.push_str(line);
                    qa.answer.push('\n');
                }
            } else if !line.trim().is_empty() {
                return Err(format!("line {at}: text before any «### question»"));
            }
        }
        for t in &mut faq.topics {
            for qa in &mut t.items {
                qa.answer = qa.answer.trim().to_owned();
                if qa.answer.is_empty() || qa.answer.chars().count() > MAX_ANSWER {
                    return Err(format!("«{}»: an answer of 1 to {MAX_ANSWER} characters", qa.question));
                }
            }
            if t.items.is_empty() || t.items.len() > MAX_QUESTIONS {
                return Err(format!("«{}»: 1 to {MAX_QUESTIONS} questions", t.name));
            }
        }
        if faq.topics.len() > MAX_TOPICS {
            return Err(format!("no more than {MAX_TOPICS} topics"));
        }
        Ok(faq)
    }

    /// The topic named as an appeal topic (case and «ё» aside).
    pub fn topic_named(&self, name: &str) -> Option<usize> {
        let plain = |s: &str| s.trim().to_lowercase().replace('ё', "е");
        self.topics.iter().position(|t| plain(&t.name) == plain(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_reads_by_topic_and_a_bad_one_says_where() {
        let faq = Faq::parse(
            "# Частые вопросы\n\n## Начисления и оплата\n### Почему сумма выросла?\nТариф изменился с 1 июля.\n\nСм. квитанцию.\n### Как оплатить?\nПо QR-коду.\n\n## Отключения и аварии\n### Когда дадут свет?\nСмотрите «Отключения».\n",
        )
        .unwrap();
        assert_eq!(faq.topics.len(), 2);
        assert_eq!(
            faq.topics[0].items[0].answer,
            "Тариф изменился с 1 июля.\n\nСм. квитанцию."
        );
        assert_eq!(faq.topic_named("начисления и оплата"), Some(0));
        assert!(Faq::parse("### Вопрос\nОтвет").unwrap_err().contains("line 1"));
        assert!(Faq::parse("## Тема\n### Вопрос\n").unwrap_err().contains("answer"));
        assert!(Faq::parse("## Тема\nтекст").unwrap_err().contains("line 2"));
    }
}
