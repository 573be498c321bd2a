use super::buttons;

buttons! {
    /// The home screen's buttons.
    pub enum HomeCb {
        /// «Интерактивные сервисы».
        Services = "svc",
        /// «Полезная информация».
        UsefulInfo = "svc:info",
    }
}
