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
        /// «Выйти»: asks to confirm.
        Logout = "p:logout",
        /// «Да, выйти».
        LogoutConfirmed = "p:bye",
        Delete = "p:del",
        Reminders = "p:rem",
        /// Turn a reminder on or off.
        ToggleReminder(which: Reminder) = "p:rem",
        /// Turn a reminder on (1) or off (0): what the button's label says, whatever an older
        /// copy of the list showed.
        SetReminder(which: Reminder, on: u8) = "p:rset",
    }
}
