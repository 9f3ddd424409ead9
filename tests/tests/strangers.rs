//! Strangers on the wire: a device that shares no space is dropped at once and learns nothing.

use clearchat_core::testing::wire::{dial_as_stranger, read_frame, write_frame, Frame};
use clearchat_scenarios::{wait_until, Device};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_is_dropped_and_learns_no_space() {
    let amy = Device::new("Amy", "Amy").await;
    amy.client.start().await.unwrap();
    let betty = Device::new("Betty", "Betty").await;
    betty
        .client
        .redeem(&amy.client.create_buddy_invite("b").await.unwrap().code)
        .await
        .unwrap();

    // Betty's hello reaches Amy by sync: only then does Amy list her.
    wait_until("Amy lists Betty", || amy.lists("Betty", false)).await;

    let (_endpoint, conn) = dial_as_stranger(&amy.client).await;
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    write_frame(
        &mut send,
        &Frame::Hello {
            offers: vec![[7; 32], [9; 32]],
            reply: true,
            introductions: Vec::new(),
        },
    )
    .await
    .unwrap();
    // Amy answers nothing and closes: the stranger reads no frame at all.
    assert!(read_frame(&mut recv).await.is_err());
    conn.closed().await;

    // Garbage instead of a frame gets the same treatment.
    let (_endpoint, conn) = dial_as_stranger(&amy.client).await;
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&[0, 0, 0, 5, 1, 2, 3, 4, 5]).await.unwrap();
    assert!(read_frame(&mut recv).await.is_err());
    let (_endpoint, conn) = dial_as_stranger(&amy.client).await;
    let (mut send, _recv) = conn.open_bi().await.unwrap();
    send.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
    conn.closed().await;

    // Amy is unharmed and still talks to Betty.
    amy.send("Betty", "still here").await.unwrap();
    wait_until("Betty gets it", || async {
        betty.texts("Amy").await == vec!["still here"]
    })
    .await;
}
