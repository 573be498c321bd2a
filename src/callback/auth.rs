use super::buttons;

buttons! {
    /// The consumer's buttons, for a chat that is not signed in.
    pub enum AuthCb {
        Register = "reg",
        Login = "login",
        /// «Забыли пароль?».
        Forgot = "forgot",
        /// «Отправить код ещё раз» for an unconfirmed consumer.
        Resend = "resend",
        RestartRegistration = "reg:restart",
        /// «Это мой номер»: dispute a login someone else holds.
        Dispute = "disp",
    }
}
