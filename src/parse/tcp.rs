//! `/proc/PID/net/tcp` and `tcp6`: one socket a row, addresses in hex.

use super::ParseError;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One row of net/tcp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpRow {
    pub local: String,
    pub remote: String,
    /// State code (`0x0A` = LISTEN).
    pub state: u8,
    pub tx_queue: u64,
    pub rx_queue: u64,
    pub inode: u64,
}

/// TCP state names by code, from include/net/tcp_states.h.
pub fn tcp_state_name(code: u8) -> &'static str {
    match code {
        0x01 => "ESTABLISHED",
        0x02 => "SYN_SENT",
        0x03 => "SYN_RECV",
        0x04 => "FIN_WAIT1",
        0x05 => "FIN_WAIT2",
        0x06 => "TIME_WAIT",
        0x07 => "CLOSE",
        0x08 => "CLOSE_WAIT",
        0x09 => "LAST_ACK",
        0x0A => "LISTEN",
        0x0B => "CLOSING",
        0x0C => "NEW_SYN_RECV",
        _ => "UNKNOWN",
    }
}

/// Parses a whole table (header line first).
pub fn parse_tcp_table(text: &str) -> Result<Vec<TcpRow>, ParseError> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(parse_row)
        .collect()
}

fn parse_row(line: &str) -> Result<TcpRow, ParseError> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let field = |n: usize| {
        fields
            .get(n)
            .copied()
            .ok_or_else(|| ParseError::new("net/tcp", format!("column {n} missing")))
    };
    let (tx, rx) = field(4)?
        .split_once(':')
        .ok_or_else(|| ParseError::new("net/tcp", "bad tx:rx queue"))?;
    let hex = |text: &str| {
        u64::from_str_radix(text, 16)
            .map_err(|_| ParseError::new("net/tcp", format!("bad hex {text:?}")))
    };
    Ok(TcpRow {
        local: parse_address(field(1)?)?,
        remote: parse_address(field(2)?)?,
        state: u8::from_str_radix(field(3)?, 16)
            .map_err(|_| ParseError::new("net/tcp", "bad state"))?,
        tx_queue: hex(tx)?,
        rx_queue: hex(rx)?,
        inode: field(9)?
            .parse()
            .map_err(|_| ParseError::new("net/tcp", "bad inode"))?,
    })
}

/// `0100007F:1F90` → `127.0.0.1:8080`; IPv6 as `[::1]:8080`. Each 32-bit word of the address
/// is in host byte order.
fn parse_address(text: &str) -> Result<String, ParseError> {
    let bad = || ParseError::new("net/tcp", format!("bad address {text:?}"));
    let (addr, port) = text.split_once(':').ok_or_else(bad)?;
    let port = u16::from_str_radix(port, 16).map_err(|_| bad())?;
    let words = (0..addr.len() / 8)
        .map(|i| {
            addr.get(i * 8..i * 8 + 8)
                .and_then(|w| u32::from_str_radix(w, 16).ok())
        })
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(bad)?;
    match (addr.len(), words.as_slice()) {
        (8, [word]) => Ok(format!("{}:{port}", Ipv4Addr::from(word.to_ne_bytes()))),
        (32, [a, b, c, d]) => {
            let mut bytes = [0u8; 16];
            for (i, word) in [a, b, c, d].iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word.to_ne_bytes());
            }
            let ip = Ipv6Addr::from(bytes);
            match ip.to_ipv4_mapped() {
                Some(v4) => Ok(format!("{v4}:{port}")),
                None => Ok(format!("[{ip}]:{port}")),
            }
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_and_v6_rows() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 20977 1 0000000000000000 100 0 0 10 0\n";
        let rows = parse_tcp_table(text).expect("parses");
        assert_eq!(rows[0].local, "127.0.0.1:8080");
        assert_eq!(rows[0].state, 0x0A);
        assert_eq!(tcp_state_name(rows[0].state), "LISTEN");
        assert_eq!(rows[0].rx_queue, 2);
        assert_eq!(rows[0].inode, 20977);
        assert_eq!(
            parse_address("00000000000000000000000001000000:0050").expect("v6"),
            "[::1]:80"
        );
        assert_eq!(
            parse_address("0000000000000000FFFF00000100007F:0050").expect("mapped"),
            "127.0.0.1:80"
        );
        assert!(parse_tcp_table("h\n 0: zz").is_err());
    }
}
