-- Accounts made through single sign-on, linked by the provider's issuer and its subject for
-- the person (never by e-mail, which people change and providers reuse). Such an account has
-- no password: its password_hash is empty, which no password matches.
CREATE TABLE identities (
    issuer  TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_by_user ON identities (user_id);
