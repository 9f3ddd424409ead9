//! Invites over the wire: one-time use, expiry, mangled codes, codes for what the joiner already has.

use clearchat_core::testing;
use clearchat_core::{Error, InviteCode, Purpose};
use clearchat_scenarios::{link_new_device, wait_lists, wait_until, Device};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_code_is_refused_and_every_device_of_the_inviter_knows_it() {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let phone = link_new_device(&laptop, "Amy phone").await;

    let invite = laptop.client.create_buddy_invite("Betty").await.unwrap();
    let betty = Device::new("Betty", "Betty").await;
    betty.client.redeem(&invite.code).await.unwrap();

    let carol = Device::new("Carol", "Carol").await;
    let second = carol.client.redeem(&invite.code).await;
    assert!(
        matches!(second, Err(Error::InviteAlreadyUsed)),
        "{second:?}"
    );
    assert_eq!(
        second.unwrap_err().to_string(),
        "this invite was already used; ask for a new one"
    );

    // The redemption is recorded in Amy's home space, so her phone refuses it too.
    let code = InviteCode::parse(&invite.code).unwrap();
    let betty_id = betty.client.me().unwrap().device_id;
    wait_until("the phone learns the invite was used", || async {
        testing::invite_redeemed_by(&phone.client, &code) == Some(betty_id)
    })
    .await;

    // Betty using the code again is told she is already buddies, and nothing is duplicated.
    let again = betty.client.redeem(&invite.code).await;
    assert!(
        matches!(again, Err(Error::AlreadyBuddies { ref name }) if name == "Amy"),
        "{again:?}"
    );
    wait_until("Betty lists Amy", || async {
        betty.client.buddies().await.unwrap().len() == 1
    })
    .await;
    assert_eq!(betty.client.buddies().await.unwrap().len(), 1);

    // The phone may not be linked twice, and may not add its own person.
    let relink = phone
        .client
        .redeem(&laptop.client.create_link_invite().await.unwrap().code)
        .await;
    assert!(matches!(relink, Err(Error::AlreadyLinked)), "{relink:?}");
    let own = phone
        .client
        .redeem(&laptop.client.create_buddy_invite("me").await.unwrap().code)
        .await;
    assert!(matches!(own, Err(Error::OwnInvite)), "{own:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_codes_are_refused_by_the_joiner_and_by_the_inviter() {
    let amy = Device::new("Amy", "Amy").await;
    amy.client.start().await.unwrap();
    let betty = Device::new("Betty", "Betty").await;
    let expired = testing::create_invite(&amy.client, Purpose::Buddy, "late", 0)
        .await
        .unwrap();
    assert!(matches!(
        betty.client.redeem(&expired.code).await,
        Err(Error::InviteExpired)
    ));
    // A joiner who edits the expiry in the code is still refused by the inviter's record.
    let mut code = InviteCode::parse(&expired.code).unwrap();
    code.expires_at += 3600;
    let result = betty.client.redeem(&code.to_text()).await;
    assert!(matches!(result, Err(Error::InviteExpired)), "{result:?}");
    assert!(betty.client.buddies().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mangled_codes_give_invalid_code_with_a_reason() {
    let amy = Device::new("Amy", "Amy").await;
    let invite = amy.client.create_buddy_invite("x").await.unwrap();
    let betty = Device::new("Betty", "Betty").await;
    let mut typo: Vec<char> = invite.code.chars().collect();
    let at = typo.len() / 2;
    typo[at] = if typo[at] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    for (bad, needle) in [
        (typo.as_str(), "checksum"),
        ("", "empty"),
        ("CLEARCHAT:???", "character"),
        ("ABCDE", "short"),
    ] {
        match betty.client.redeem(bad).await {
            Err(Error::InvalidCode { reason }) => {
                assert!(reason.contains(needle), "{bad:?}: {reason}")
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    // Nothing was written and nothing went online.
    assert!(!betty.client.is_started());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_inviter_is_a_typed_error() {
    let amy = Device::new("Amy", "Amy").await;
    amy.client.start().await.unwrap();
    let invite = amy.client.create_buddy_invite("x").await.unwrap();
    amy.client.stop().await.unwrap();
    let betty = Device::new("Betty", "Betty").await;
    let result = betty.client.redeem(&invite.code).await;
    assert!(
        matches!(result, Err(Error::InviterUnreachable { .. })),
        "{result:?}"
    );
}

/// Amy's laptop issues a buddy code, then goes away; the code also names her phone, which learned the
/// invite from the home space, so Betty redeems it there, and a second use is refused there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_device_of_the_inviter_serves_the_code_when_the_inviting_one_is_away() {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let phone = link_new_device(&laptop, "Amy phone").await;
    let phone_key = phone.client.me().unwrap().device_id;
    wait_until("the laptop knows where the phone is", || async {
        testing::knows_address_of(&laptop.client, &phone_key)
    })
    .await;

    let invite = laptop.client.create_buddy_invite("Betty").await.unwrap();
    let code = InviteCode::parse(&invite.code).unwrap();
    assert!(
        code.others.iter().any(|(d, _)| *d == phone_key.0),
        "the code names the phone: {:?}",
        code.others
    );
    wait_until("the phone holds the invite", || async {
        testing::holds_invite(&phone.client, &code)
    })
    .await;
    laptop.client.stop().await.unwrap();

    let betty = Device::new("Betty", "Betty").await;
    betty.client.redeem(&invite.code).await.unwrap();
    wait_lists(&betty, "Amy", false).await;
    let betty_id = betty.client.me().unwrap().device_id;
    let served_by = testing::invite_redeemed_by(&phone.client, &code);
    assert_eq!(served_by, Some(betty_id));

    let carol = Device::new("Carol", "Carol").await;
    let second = carol.client.redeem(&invite.code).await;
    assert!(
        matches!(second, Err(Error::InviteAlreadyUsed)),
        "{second:?}"
    );
}
