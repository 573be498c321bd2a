-- OPERATOR_TOPICS: in a forum supergroup, the topic the bot created for each kind of item
-- (`connection`, `appeal`, … as in OPERATOR_CHATS); a card of that kind is posted there.
-- Forgotten when Telegram no longer knows the topic (an operator deleted it): the next card
-- creates it again.
CREATE TABLE desk_topics (
    chat_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    thread_id   INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (chat_id, kind)
);
