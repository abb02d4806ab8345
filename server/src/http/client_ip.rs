//! Who is asking, as the per-IP rate limits count it: the address of the socket the request
//! came in on, or, behind a reverse proxy the operator trusts (`--trust-forwarded-for`), the
//! rightmost `X-Forwarded-For` entry, which is the one that proxy added. IPv6 clients are
//! grouped by their /64, the block one household or one machine is normally given, so
//! walking through its addresses does not buy a fresh budget.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};

use crate::listener::PeerAddr;
use crate::state::AppState;

/// The client's address for rate limiting; `None` when the request came without a socket
/// (tests that call the router directly).
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(ClientIp(client_ip(&parts.extensions, &parts.headers, state.config.trust_forwarded_for)))
    }
}

/// The address a request counts against, grouped as described above.
pub fn client_ip(extensions: &Extensions, headers: &HeaderMap, trust_forwarded_for: bool) -> Option<IpAddr> {
    let forwarded = trust_forwarded_for.then(|| rightmost_forwarded_for(headers)).flatten();
    let peer = || extensions.get::<ConnectInfo<PeerAddr>>().map(|info| info.0 .0.ip());
    forwarded.or_else(peer).map(group)
}

/// The last address in the (possibly repeated) `X-Forwarded-For` headers.
fn rightmost_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok()).next_back()?;
    let entry = last.rsplit(',').map(str::trim).find(|entry| !entry.is_empty())?;
    entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

fn group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_peer(addr: &str) -> Extensions {
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(PeerAddr(addr.parse::<SocketAddr>().unwrap())));
        extensions
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_socket_address_counts_and_forwarded_for_is_ignored_unless_trusted() {
        let peer = with_peer("127.0.0.2:5000");
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(client_ip(&peer, &headers, false), Some("127.0.0.2".parse().unwrap()));
        assert_eq!(client_ip(&Extensions::new(), &headers, false), None);
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_forwarded_entry_counts() {
        let peer = with_peer("10.0.0.1:5000");
        let headers = forwarded(&["198.51.100.1, 203.0.113.9", "192.0.2.7 , 203.0.113.10"]);
        assert_eq!(client_ip(&peer, &headers, true), Some("203.0.113.10".parse().unwrap()));
        assert_eq!(client_ip(&peer, &forwarded(&["garbage"]), true), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(client_ip(&peer, &HeaderMap::new(), true), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(client_ip(&peer, &forwarded(&["[2001:db8::1]:443"]), true), Some("2001:db8::".parse().unwrap()));
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64_block() {
        let one = client_ip(&with_peer("[2001:db8:1:2:aaaa::1]:1"), &HeaderMap::new(), false);
        let two = client_ip(&with_peer("[2001:db8:1:2:bbbb::9]:1"), &HeaderMap::new(), false);
        let other = client_ip(&with_peer("[2001:db8:1:3::1]:1"), &HeaderMap::new(), false);
        assert_eq!(one, two);
        assert_ne!(one, other);
        let mapped = client_ip(&with_peer("[::ffff:192.0.2.1]:1"), &HeaderMap::new(), false);
        assert_eq!(mapped, Some("192.0.2.1".parse().unwrap()));
    }
}
