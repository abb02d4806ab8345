//! Personal API tokens: what marks their secrets, and how they are listed.

use app::wire::TokenDTO;
use confab_store::ApiToken;

/// Every personal token starts so: it is looked up among tokens, not sessions, and a person
/// who finds one in a log knows what it is.
pub const PREFIX: &str = "confab_pat_";

pub fn dto(token: ApiToken) -> TokenDTO {
    TokenDTO {
        id: token.id,
        name: token.name,
        created_at: token.created_at,
        expires_at: token.expires_at,
        last_used_at: token.last_used_at,
    }
}
