//! Item 14: secrets never print. A whole story (link a phone, add a buddy, chat, unlink the phone) runs with
//! every log record captured at trace level; then the captured logs and the Debug output of everything that
//! holds a secret (invites and codes, entry bodies, welcomes) are searched for every secret of the story: the
//! invite secrets and codes, the space keys and the device keys, as hex and as Debug byte lists.

use clearchat_core::testing::{
    self,
    entries::{invite_id, Body, InviteSecret, Purpose},
};
use clearchat_core::InviteCode;
use clearchat_testkit::{add_buddy, link_new_device, wait_lists, wait_until, Device};
use std::sync::{Mutex, OnceLock};

/// Every log record of this test binary, formatted.
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if all.len() < 200_000 {
            all.push(format!("{} {}", record.target(), record.args()));
        }
    }
    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        let _ = log::set_logger(capture);
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The forms a secret could print in.
fn forms(secret: &[u8]) -> Vec<String> {
    vec![hex(secret), format!("{secret:?}")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_log_or_a_debug_output() {
    let capture = capture();
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let link = laptop.client.create_link_invite().await.unwrap();
    let phone = Device::new("Amy phone", "Amy").await;
    phone.client.redeem(&link.code).await.unwrap();
    let betty = Device::new("Betty phone", "Betty").await;
    let buddy_invite = laptop.client.create_buddy_invite("Betty").await.unwrap();
    betty.client.redeem(&buddy_invite.code).await.unwrap();
    wait_lists(&laptop, "Betty", true).await;
    laptop.send("Betty", "hello").await.unwrap();
    wait_until("Betty has it", || async {
        betty.texts("Amy").await.len() == 1
    })
    .await;
    let phone_id = phone.client.me().unwrap().device_id;
    laptop.client.revoke_device(&phone_id).await.unwrap();
    add_buddy(
        &betty,
        &link_new_device(&laptop, "Amy tablet").await,
        "Amy again",
    )
    .await;

    let mut secrets: Vec<Vec<u8>> = Vec::new();
    let mut printed: Vec<String> = Vec::new();
    for invite in [&link, &buddy_invite] {
        let code = InviteCode::parse(&invite.code).unwrap();
        secrets.push(code.secret.to_vec());
        secrets.push(invite.code.clone().into_bytes());
        secrets.push(invite.code.replace('-', "").into_bytes());
        printed.push(format!("{invite:?}"));
        printed.push(format!("{code:?}"));
        printed.push(format!(
            "{:?}",
            Body::InviteIssued {
                id: invite_id(&code.secret),
                secret: InviteSecret(code.secret),
                purpose: Purpose::Buddy,
                label: "x".into(),
                expires_at: 1,
            }
        ));
    }
    for device in [&laptop, &phone, &betty] {
        let (signer, _) = testing::identity(&device.client).unwrap();
        secrets.push(signer.to_bytes().to_vec());
        for space in testing::spaces(&device.client).unwrap() {
            for key in &space.keys {
                secrets.push(key.0.to_vec());
                printed.push(format!("{key:?}"));
            }
            printed.push(format!("{space:?}"));
        }
    }
    let logs = capture.0.lock().unwrap().join("\n");
    assert!(!logs.is_empty(), "the story logged something");
    for secret in &secrets {
        let text_form = String::from_utf8(secret.clone()).ok();
        for form in forms(secret).into_iter().chain(text_form) {
            assert!(!logs.contains(&form), "a log record holds a secret: {form}");
            for p in &printed {
                assert!(!p.contains(&form), "a Debug output holds a secret: {p}");
            }
        }
    }
}

/// The checksum is unkeyed, so anyone who handles a code can edit it and fix the checksum. An edited code
/// fails safely: the joiner pins the inviter's device id, so a code pointing at another device's address,
/// or naming other devices at other addresses, reaches nobody that can serve it, with a typed error, and
/// the original code still works afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_edited_on_the_way_fails_safely() {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let eve = Device::new("Eve", "Eve").await;
    eve.client.start().await.unwrap();
    let betty = Device::new("Betty phone", "Betty").await;
    let invite = laptop.client.create_buddy_invite("Betty").await.unwrap();
    let original = InviteCode::parse(&invite.code).unwrap();

    let mut elsewhere = original.clone();
    elsewhere.addrs = eve.client.listen_addrs();
    let mut others = original.clone();
    others.addrs = eve.client.listen_addrs();
    others.others = vec![(
        eve.client.me().unwrap().device_id.0,
        eve.client.listen_addrs()[0],
    )];
    for edited in [elsewhere, others] {
        let redeemed = betty.client.redeem(&edited.to_text()).await;
        assert!(
            redeemed.is_err(),
            "an edited code was redeemed: {redeemed:?}"
        );
        assert!(betty.client.buddies().await.unwrap().is_empty());
        assert!(eve.client.buddies().await.unwrap().is_empty());
    }
    betty
        .client
        .redeem(&invite.code)
        .await
        .expect("the original code still works");
}
