//! Signing in through single sign-on: the account linked to the provider's subject, made on
//! first sign-in (its username from the provider, cleaned and made unique, never refused).

use confab_store::{AccountChange, Outcome, StoreError, User};

use super::oidc::{clean_username, numbered, Identity};
use super::{disabled, Auth, SignedIn};
use crate::chat::now;
use crate::error::ApiError;

/// Names tried before giving up on the provider's: `name`, `name-2`, ... `name-50`.
const NAME_ATTEMPTS: u32 = 50;

impl Auth {
    /// Signs in the person the provider vouched for, creating their account the first time.
    /// Membership of the admin group makes them an administrator.
    #[tracing::instrument(skip_all, fields(subject = %identity.subject))]
    pub async fn sso_sign_in(&self, identity: Identity, user_agent: &str) -> Result<SignedIn, ApiError> {
        let user = match self.store.identity_user(&identity.issuer, &identity.subject).await? {
            Some(credentials) if credentials.disabled => return Err(disabled()),
            Some(credentials) => credentials.user,
            None => self.create_sso_account(&identity).await?,
        };
        let user = if identity.admin && !user.admin {
            match self.store.change_account(user.id, AccountChange { disabled: None, admin: Some(true) }).await? {
                Outcome::Done(promoted) => {
                    self.cache.account_changed(promoted.id);
                    promoted
                }
                _ => user,
            }
        } else {
            user
        };
        tracing::info!(user = %user.username, admin = user.admin, "signed in through single sign-on");
        self.start_session(user, user_agent).await
    }

    async fn create_sso_account(&self, identity: &Identity) -> Result<User, ApiError> {
        let base = clean_username(&identity.username);
        for attempt in 1..=NAME_ATTEMPTS {
            let username = if attempt == 1 { base.clone() } else { numbered(&base, attempt) };
            let user = User { id: uuid::Uuid::new_v4(), username, created_at: now(), admin: false };
            match self.store.create_identity_user(&user, &identity.issuer, &identity.subject).await {
                Ok(created) => return Ok(created),
                Err(StoreError::Conflict) => {
                    // Taken: the name, or (a sign-in racing this one) the identity itself.
                    if let Some(linked) = self.store.identity_user(&identity.issuer, &identity.subject).await? {
                        return Ok(linked.user);
                    }
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(ApiError::Conflict(format!("no free username near {base:?}; ask an administrator to rename an account")))
    }
}
