//! The names MCP tools are offered to models under: `server__tool`, so two servers' tools
//! never collide, made to fit OpenAI's function-name rule (`[A-Za-z0-9_-]`, at most 64
//! characters). A name too long keeps its start and gets a stable suffix of its own.

/// The longest function name OpenAI accepts.
pub const MAX_NAME_CHARS: usize = 64;

/// `server__tool`, fitted to the rule.
pub fn exposed_name(server: &str, tool: &str) -> String {
    let full = format!("{server}__{tool}");
    let clean: String =
        full.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if clean.len() <= MAX_NAME_CHARS && clean == full {
        return clean;
    }
    // Shortened or cleaned: a suffix from the full name keeps names that differ apart.
    let suffix = format!("_{:08x}", fnv1a(full.as_bytes()) as u32);
    let keep = clean.len().min(MAX_NAME_CHARS - suffix.len());
    format!("{}{suffix}", &clean[..keep])
}

/// Whether `exposed` is the name of `tool` of some server (what the built-in model's
/// `use <tool>:` looks for), or `tool` itself.
pub fn names_tool(exposed: &str, tool: &str) -> bool {
    exposed == tool || exposed.strip_suffix(tool).is_some_and(|rest| rest.ends_with("__"))
}

/// FNV-1a: stable across runs and builds, unlike the standard hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(name: &str) -> bool {
        name.len() <= MAX_NAME_CHARS && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }

    #[test]
    fn a_name_that_fits_is_server_and_tool() {
        assert_eq!(exposed_name("everything", "echo"), "everything__echo");
        assert!(names_tool("everything__echo", "echo"));
        assert!(names_tool("echo", "echo"));
        assert!(!names_tool("everything__reecho", "echo"));
    }

    #[test]
    fn long_or_odd_names_are_fitted_and_stay_apart() {
        let long_a = exposed_name("server", &"a".repeat(80));
        let long_b = exposed_name("server", &format!("{}b", "a".repeat(79)));
        assert!(fits(&long_a) && fits(&long_b), "{long_a} {long_b}");
        assert_ne!(long_a, long_b);
        assert_eq!(long_a, exposed_name("server", &"a".repeat(80)), "stable");
        let odd = exposed_name("my server", "get.time");
        assert!(fits(&odd) && odd.starts_with("my_server__get_time_"), "{odd}");
        assert_ne!(odd, exposed_name("my_server", "get_time"), "cleaning never makes two names one");
    }
}
