//! The story of DESIGN.md section 1, with real QUIC on loopback and real SQLite files.

use clearchat_core::Redeemed;
use clearchat_scenarios::{wait_lists, wait_until, Device};

/// Amy's laptop links her phone, adds Betty; the phone joins by itself; everyone talks to everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_add_buddy_and_talk_from_every_device() {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let phone = Device::new("Amy phone", "Amy").await;
    let link = laptop.client.create_link_invite().await.unwrap();
    let linked = phone.client.redeem(&link.code).await.unwrap();
    assert_eq!(
        linked,
        Redeemed::Linked {
            person_name: "Amy".into()
        }
    );
    assert_eq!(
        phone.client.me().unwrap().person_name,
        "Amy",
        "known at once"
    );
    wait_until("the phone sees both of Amy's devices", || async {
        phone.client.devices().await.unwrap().len() == 2
    })
    .await;

    let betty = Device::new("Betty phone", "Betty").await;
    let invite = laptop.client.create_buddy_invite("Betty").await.unwrap();
    let added = betty.client.redeem(&invite.uri).await.unwrap();
    let listed = betty.client.buddies().await.unwrap();
    assert_eq!(
        listed.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(),
        vec!["Amy"],
        "listed at once"
    );
    assert!(
        matches!(added, Redeemed::Buddy { ref name, .. } if name == "Amy"),
        "{added:?}"
    );

    for (device, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        wait_lists(device, buddy, false).await;
    }

    for i in 0..5 {
        laptop.send("Betty", &format!("laptop {i}")).await.unwrap();
        phone.send("Betty", &format!("phone {i}")).await.unwrap();
        betty.send("Amy", &format!("betty {i}")).await.unwrap();
    }
    for (device, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        wait_until(&format!("all 15 messages on {}", device.name), || async {
            device.texts(buddy).await.len() == 15
        })
        .await;
        let texts = device.texts(buddy).await;
        for sender in ["laptop", "phone", "betty"] {
            let mine: Vec<&String> = texts.iter().filter(|t| t.starts_with(sender)).collect();
            let expected: Vec<String> = (0..5).map(|i| format!("{sender} {i}")).collect();
            assert_eq!(
                mine,
                expected.iter().collect::<Vec<_>>(),
                "order of {sender}'s messages on {}",
                device.name
            );
        }
    }
}
