use super::buttons;

buttons! {
    /// «Частые вопросы»: its buttons (topics and questions by their place in the file).
    pub enum FaqCb {
        /// The topics.
        Faq = "faq",
        /// A topic's questions.
        FaqTopic(topic: u8) = "faq:t",
        /// A question's answer.
        FaqItem(topic: u8, item: u8) = "faq:i",
        /// «Ответ помог».
        FaqHelped(topic: u8, item: u8) = "faq:ok",
    }
}
