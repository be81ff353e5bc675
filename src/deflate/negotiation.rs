//! permessage-deflate 0.1.7's negotiation rules (lib/common.js,
//! server_session.js, client_session.js): which offer a server accepts and
//! what it answers, what a client offers for each option, and which responses
//! a client accepts. Messages and parameter orders are the package's.
//!
//! Options keep JavaScript's loose meaning where the package relies on it:
//! `maxWindowBits || 15` treats 0 and NaN as absent.

use crate::deflate::codec::{CompressorSettings, MAX_WINDOW_BITS};
use crate::handshake::extension_header::{parse, serialize, Offer, ParamValue};
use crate::js;

pub(crate) const NAME: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

pub(crate) type Params = Vec<(String, ParamValue)>;

/// `configure()`'s options. A window-bits option is `None` when undefined;
/// any other JS value arrives as a number (NaN for non-numbers).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct DeflateOptions {
    pub settings: CompressorSettings,
    pub no_context_takeover: bool,
    pub max_window_bits: Option<f64>,
    pub request_no_context_takeover: bool,
    pub request_max_window_bits: Option<f64>,
}

/// What both codec halves need once negotiation is done. Window bits are
/// what permessage-deflate computed (possibly outside 8–15 when an option
/// was); the codec clamps them for zlib.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Negotiated {
    pub own_context_takeover: bool,
    pub own_window_bits: f64,
    pub peer_context_takeover: bool,
    pub peer_window_bits: f64,
}

impl Negotiated {
    /// The window bits as the codec takes them: zlib needs 9–15.
    pub(crate) fn own_zlib_bits(&self) -> u8 {
        js_bits_for_zlib(self.own_window_bits)
    }

    pub(crate) fn peer_zlib_bits(&self) -> u8 {
        js_bits_for_zlib(self.peer_window_bits)
    }
}

fn js_bits_for_zlib(bits: f64) -> u8 {
    if bits.is_nan() {
        return MAX_WINDOW_BITS;
    }
    bits.clamp(9.0, 15.0) as u8
}

/// `VALID_WINDOW_BITS.indexOf(value) >= 0`: an integer 8–15.
fn valid_window_bits(value: f64) -> bool {
    (8.0..=15.0).contains(&value) && value.fract() == 0.0
}

/// An offer's parameters as parser.js would hold them in an object: one
/// value per key, or several for a repeated key. `__proto__` is dropped, as
/// assigning it on a plain object does nothing.
struct ParamObject<'a> {
    entries: Vec<(&'a str, Vec<&'a ParamValue>)>,
}

impl<'a> ParamObject<'a> {
    fn new(params: &'a [(String, ParamValue)]) -> ParamObject<'a> {
        let mut entries: Vec<(&str, Vec<&ParamValue>)> = Vec::new();
        for (key, value) in params {
            if key == "__proto__" {
                continue;
            }
            match entries.iter_mut().find(|(name, _)| name == key) {
                Some((_, values)) => values.push(value),
                None => entries.push((key, vec![value])),
            }
        }
        ParamObject { entries }
    }

    fn get(&self, key: &str) -> Option<&'a ParamValue> {
        self.entries
            .iter()
            .find(|(name, _)| *name == key)
            .and_then(|(_, values)| values.first().copied())
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn number(&self, key: &str) -> Option<f64> {
        match self.get(key) {
            Some(ParamValue::Number(number)) => Some(*number),
            _ => None,
        }
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some(ParamValue::Flag))
    }

    /// `common.validParams`: known keys only, none repeated, the two
    /// no-context-takeover flags bare, `server_max_window_bits` 8–15.
    fn common_valid(&self) -> bool {
        let known = [
            SERVER_NO_CONTEXT_TAKEOVER,
            CLIENT_NO_CONTEXT_TAKEOVER,
            SERVER_MAX_WINDOW_BITS,
            CLIENT_MAX_WINDOW_BITS,
        ];
        let keys_ok = self
            .entries
            .iter()
            .all(|(key, values)| known.contains(key) && values.len() == 1);
        let flag_ok = |key| !self.has(key) || self.flag(key);
        keys_ok
            && flag_ok(SERVER_NO_CONTEXT_TAKEOVER)
            && flag_ok(CLIENT_NO_CONTEXT_TAKEOVER)
            && (!self.has(SERVER_MAX_WINDOW_BITS)
                || self
                    .number(SERVER_MAX_WINDOW_BITS)
                    .is_some_and(valid_window_bits))
    }

    /// `ServerSession.validParams`: `client_max_window_bits` may be bare.
    fn valid_offer(&self) -> bool {
        self.common_valid()
            && (!self.has(CLIENT_MAX_WINDOW_BITS)
                || self.flag(CLIENT_MAX_WINDOW_BITS)
                || self
                    .number(CLIENT_MAX_WINDOW_BITS)
                    .is_some_and(valid_window_bits))
    }

    /// `ClientSession.validParams`: `client_max_window_bits` needs a value.
    fn valid_response(&self) -> bool {
        self.common_valid()
            && (!self.has(CLIENT_MAX_WINDOW_BITS)
                || self
                    .number(CLIENT_MAX_WINDOW_BITS)
                    .is_some_and(valid_window_bits))
    }
}

/// `createServerSession` + `generateResponse`: the first valid offer wins.
/// Returns the response parameters and the negotiated codec settings, or
/// `None` when no offer is valid (the extension is then not used).
pub(crate) fn server_response(
    options: &DeflateOptions,
    offers: &[&[(String, ParamValue)]],
) -> Option<(Params, Negotiated)> {
    let offer = offers
        .iter()
        .map(|params| ParamObject::new(params))
        .find(ParamObject::valid_offer)?;
    let max = f64::from(MAX_WINDOW_BITS);
    let mut response = Params::new();

    let own_context_takeover =
        !options.no_context_takeover && !offer.has(SERVER_NO_CONTEXT_TAKEOVER);
    if !own_context_takeover {
        response.push((SERVER_NO_CONTEXT_TAKEOVER.to_owned(), ParamValue::Flag));
    }
    let peer_context_takeover =
        !options.request_no_context_takeover && !offer.has(CLIENT_NO_CONTEXT_TAKEOVER);
    if !peer_context_takeover {
        response.push((CLIENT_NO_CONTEXT_TAKEOVER.to_owned(), ParamValue::Flag));
    }

    let offered_server_max = offer.number(SERVER_MAX_WINDOW_BITS);
    let own_window_bits = js::min(
        js::truthy(options.max_window_bits).unwrap_or(max),
        js::truthy(offered_server_max).unwrap_or(max),
    );
    // permessage-deflate's Firefox workaround: only if the client sent it.
    if own_window_bits < max && offered_server_max.is_some() {
        response.push((
            SERVER_MAX_WINDOW_BITS.to_owned(),
            ParamValue::Number(own_window_bits),
        ));
    }

    let peer_window_bits = match offer.get(CLIENT_MAX_WINDOW_BITS) {
        Some(ParamValue::Flag) => js::min(
            js::truthy(options.request_max_window_bits).unwrap_or(max),
            max,
        ),
        Some(ParamValue::Number(bits)) => js::min(
            js::truthy(options.request_max_window_bits).unwrap_or(max),
            *bits,
        ),
        _ => max,
    };
    if peer_window_bits < max {
        response.push((
            CLIENT_MAX_WINDOW_BITS.to_owned(),
            ParamValue::Number(peer_window_bits),
        ));
    }

    let negotiated = Negotiated {
        own_context_takeover,
        own_window_bits,
        peer_context_takeover,
        peer_window_bits,
    };
    Some((response, negotiated))
}

/// websocket-extensions' `generateResponse` for a lone permessage-deflate:
/// the server's `Sec-WebSocket-Extensions` entry for the permessage-deflate
/// offers among `offers`, and the codec settings it agrees to, or `None`
/// when it accepts none of them (or there are none).
pub(crate) fn answer(options: &DeflateOptions, offers: &[Offer]) -> Option<(String, Negotiated)> {
    let mine: Vec<&[(String, ParamValue)]> = offers
        .iter()
        .filter(|offer| offer.name == NAME)
        .map(|offer| offer.params.as_slice())
        .collect();
    let (params, negotiated) = server_response(options, &mine)?;
    Some((serialize(NAME, &params), negotiated))
}

/// `ClientSession#activate` for the server's entry for permessage-deflate,
/// given as one header value (`name; params`): the codec settings, or
/// `None` when the entry does not parse or is unacceptable.
pub(crate) fn client_activate_entry(options: &DeflateOptions, entry: &str) -> Option<Negotiated> {
    let offers = parse(entry).ok()?;
    let offer = offers.first()?;
    client_activate(options, &offer.params)
}

/// `ClientSession#generateOffer`'s errors: a window-bits option that is
/// not 8–15.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OfferError {
    MaxWindowBits,
    RequestMaxWindowBits,
}

impl std::fmt::Display for OfferError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let option = match self {
            OfferError::MaxWindowBits => "maxWindowBits",
            OfferError::RequestMaxWindowBits => "requestMaxWindowBits",
        };
        write!(f, "Invalid value for {option}")
    }
}

/// `ClientSession#generateOffer`, with its errors for bad window bits.
pub(crate) fn client_offer(options: &DeflateOptions) -> Result<Params, OfferError> {
    let mut offer = Params::new();
    if options.no_context_takeover {
        offer.push((CLIENT_NO_CONTEXT_TAKEOVER.to_owned(), ParamValue::Flag));
    }
    match options.max_window_bits {
        Some(bits) if valid_window_bits(bits) => {
            offer.push((CLIENT_MAX_WINDOW_BITS.to_owned(), ParamValue::Number(bits)))
        }
        Some(_) => return Err(OfferError::MaxWindowBits),
        None => offer.push((CLIENT_MAX_WINDOW_BITS.to_owned(), ParamValue::Flag)),
    }
    if options.request_no_context_takeover {
        offer.push((SERVER_NO_CONTEXT_TAKEOVER.to_owned(), ParamValue::Flag));
    }
    match options.request_max_window_bits {
        Some(bits) if valid_window_bits(bits) => {
            offer.push((SERVER_MAX_WINDOW_BITS.to_owned(), ParamValue::Number(bits)))
        }
        Some(_) => return Err(OfferError::RequestMaxWindowBits),
        None => {}
    }
    Ok(offer)
}

/// The offer as a header value.
pub(crate) fn client_offer_header(options: &DeflateOptions) -> Result<String, OfferError> {
    client_offer(options).map(|offer| serialize(NAME, &offer))
}

/// `ClientSession#activate`: the codec settings, or `None` when the
/// response is unacceptable (see [`unacceptable_message`]).
pub(crate) fn client_activate(
    options: &DeflateOptions,
    response: &[(String, ParamValue)],
) -> Option<Negotiated> {
    let params = ParamObject::new(response);
    if !params.valid_response() {
        return None;
    }
    let max = f64::from(MAX_WINDOW_BITS);
    let accept_max = js::truthy(options.max_window_bits);
    let client_max = js::truthy(params.number(CLIENT_MAX_WINDOW_BITS));
    let server_max = js::truthy(params.number(SERVER_MAX_WINDOW_BITS));
    if let (Some(accept), Some(client)) = (accept_max, client_max) {
        if client > accept {
            return None;
        }
    }
    if options.request_no_context_takeover && !params.has(SERVER_NO_CONTEXT_TAKEOVER) {
        return None;
    }
    if let Some(request) = js::truthy(options.request_max_window_bits) {
        match server_max {
            Some(server) if server <= request => {}
            _ => return None,
        }
    }
    Some(Negotiated {
        own_context_takeover: !(options.no_context_takeover
            || params.has(CLIENT_NO_CONTEXT_TAKEOVER)),
        own_window_bits: js::min(accept_max.unwrap_or(max), client_max.unwrap_or(max)),
        peer_context_takeover: !params.has(SERVER_NO_CONTEXT_TAKEOVER),
        peer_window_bits: server_max.unwrap_or(max),
    })
}

/// websocket-extensions' message for a response `activate` refused.
pub(crate) fn unacceptable_message(response: &[(String, ParamValue)]) -> String {
    format!(
        "Server sent unacceptable extension parameters: {}",
        serialize(NAME, response)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(spec: &str) -> DeflateOptions {
        let mut options = DeflateOptions::default();
        for item in spec.split(',').filter(|item| !item.is_empty()) {
            let (key, value) = item.split_once('=').unwrap_or((item, "true"));
            let number = || value.parse::<f64>().unwrap_or(f64::NAN);
            match key {
                "noContextTakeover" => options.no_context_takeover = value == "true",
                "requestNoContextTakeover" => options.request_no_context_takeover = value == "true",
                "maxWindowBits" => options.max_window_bits = Some(number()),
                "requestMaxWindowBits" => options.request_max_window_bits = Some(number()),
                other => panic!("unknown option {other}"),
            }
        }
        options
    }

    /// The server's response header for a request header, as the registry
    /// builds it for a lone permessage-deflate: `None` for no header.
    fn response_header(options: &DeflateOptions, request: &str) -> Option<String> {
        let offers = parse(request).unwrap();
        let mine: Vec<&[(String, ParamValue)]> = offers
            .iter()
            .filter(|offer| offer.name == NAME)
            .map(|offer| offer.params.as_slice())
            .collect();
        if mine.is_empty() {
            return None;
        }
        server_response(options, &mine).map(|(params, _)| serialize(NAME, &params))
    }

    /// The client's view of a response header: `Ok(())` if activated.
    fn activation(options: &DeflateOptions, response: &str) -> Result<(), String> {
        let offers = parse(response).unwrap();
        let offer = &offers[0];
        client_activate(options, &offer.params)
            .map(|_| ())
            .ok_or_else(|| unacceptable_message(&offer.params))
    }

    /// Expectations recorded from permessage-deflate 0.1.7 and
    /// websocket-extensions 0.2.0 on Node by
    /// `scripts/deflate-negotiation-cases.js` (one case per line:
    /// `kind<TAB>options<TAB>input<TAB>expected`).
    const CASES: &str = include_str!("../../tests/fixtures/deflate-negotiation.tsv");

    #[test]
    fn matches_the_npm_package_case_by_case() {
        let mut checked = 0;
        for line in CASES
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
        {
            let fields: Vec<&str> = line.split('\t').collect();
            let [kind, spec, input, expected] = fields[..] else {
                panic!("bad line {line:?}")
            };
            let options = options(spec);
            let actual = match kind {
                "offer" => match client_offer_header(&options) {
                    Ok(header) => header,
                    Err(message) => format!("throws {message}"),
                },
                "response" => response_header(&options, input).unwrap_or_else(|| "none".to_owned()),
                "activate" => match activation(&options, input) {
                    Ok(()) => "ok".to_owned(),
                    Err(message) => format!("throws {message}"),
                },
                other => panic!("unknown kind {other}"),
            };
            assert_eq!(actual, expected, "{kind} with {{{spec}}} for {input:?}");
            checked += 1;
        }
        assert!(checked > 100, "only {checked} cases");
    }

    #[test]
    fn server_settings_follow_the_offer_and_options() {
        let offer = parse("permessage-deflate; server_no_context_takeover; client_max_window_bits=10; server_max_window_bits=12").unwrap();
        let (_, negotiated) =
            server_response(&DeflateOptions::default(), &[&offer[0].params]).unwrap();
        assert_eq!(
            negotiated,
            Negotiated {
                own_context_takeover: false,
                own_window_bits: 12.0,
                peer_context_takeover: true,
                peer_window_bits: 10.0
            }
        );
        let offer = parse("permessage-deflate").unwrap();
        let (_, negotiated) = server_response(
            &options("maxWindowBits=8,requestNoContextTakeover"),
            &[&offer[0].params],
        )
        .unwrap();
        assert_eq!(negotiated.own_window_bits, 8.0);
        assert_eq!(negotiated.own_zlib_bits(), 9);
        assert!(!negotiated.peer_context_takeover);
        assert_eq!(negotiated.peer_zlib_bits(), 15);
    }

    #[test]
    fn client_settings_follow_the_response() {
        let response = parse("permessage-deflate; client_no_context_takeover; client_max_window_bits=9; server_max_window_bits=8").unwrap();
        let negotiated =
            client_activate(&options("maxWindowBits=10"), &response[0].params).unwrap();
        assert_eq!(
            negotiated,
            Negotiated {
                own_context_takeover: false,
                own_window_bits: 9.0,
                peer_context_takeover: true,
                peer_window_bits: 8.0
            }
        );
        assert_eq!(negotiated.peer_zlib_bits(), 9);
    }

    #[test]
    fn proto_keys_vanish_as_in_a_js_object() {
        let offer = parse("permessage-deflate; __proto__; __proto__=3").unwrap();
        assert!(server_response(&DeflateOptions::default(), &[&offer[0].params]).is_some());
        let offer = parse("permessage-deflate; constructor").unwrap();
        assert!(server_response(&DeflateOptions::default(), &[&offer[0].params]).is_none());
    }
}
