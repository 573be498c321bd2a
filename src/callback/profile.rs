use super::buttons;
use crate::domain::items::Reminder;

buttons! {
    /// «Профиль»'s buttons.
    pub enum ProfileCb {
        Profile = "p",
        ProfileEdit = "p:edit",
        EditName = "p:name",
        EditPhone = "p:phone",
        EditEmail = "p:email",
        /// «Отправить код ещё раз» for a new e-mail address.
        ResendEmailCode = "p:resend",
        ChangePassword = "p:pw",
        Logout = "p:logout",
        Delete = "p:del",
        Reminders = "p:rem",
        /// Turn a reminder on or off.
        ToggleReminder(which: Reminder) = "p:rem",
    }
}
