//! The typed columns: each enum stored as text has its one conversion here, both ways. The texts are those
//! every earlier store wrote.

use super::Delivery;
use crate::invite::Purpose;
use crate::space::{SpaceKind, SpaceState};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

macro_rules! text_column {
    ($ty:ty { $($variant:path => $text:literal),+ $(,)? }) => {
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(match self {
                    $($variant => $text,)+
                }))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                match value.as_str()? {
                    $($text => Ok($variant),)+
                    _ => Err(FromSqlError::InvalidType),
                }
            }
        }
    };
}

text_column!(SpaceKind {
    SpaceKind::Home => "home",
    SpaceKind::Buddy => "buddy",
});

text_column!(SpaceState {
    SpaceState::Active => "active",
    SpaceState::Closing => "closing",
    SpaceState::Closed => "closed",
});

text_column!(Purpose {
    Purpose::Link => "link",
    Purpose::Buddy => "buddy",
});

text_column!(Delivery {
    Delivery::Pending => "pending",
    Delivery::Sent => "sent",
    Delivery::Delivered => "delivered",
});

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn round_trip<T: ToSql + FromSql + PartialEq + std::fmt::Debug>(value: T, text: &str) {
        let c = Connection::open_in_memory().unwrap();
        let stored: String = c.query_row("SELECT ?", [&value], |r| r.get(0)).unwrap();
        assert_eq!(stored, text);
        let back: T = c.query_row("SELECT ?", [text], |r| r.get(0)).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn each_column_keeps_the_texts_earlier_stores_wrote() {
        round_trip(SpaceKind::Home, "home");
        round_trip(SpaceKind::Buddy, "buddy");
        round_trip(SpaceState::Active, "active");
        round_trip(SpaceState::Closing, "closing");
        round_trip(SpaceState::Closed, "closed");
        round_trip(Purpose::Link, "link");
        round_trip(Purpose::Buddy, "buddy");
        round_trip(Delivery::Pending, "pending");
        round_trip(Delivery::Sent, "sent");
        round_trip(Delivery::Delivered, "delivered");
        let c = Connection::open_in_memory().unwrap();
        assert!(c
            .query_row("SELECT 'nonsense'", [], |r| r.get::<_, SpaceState>(0))
            .is_err());
    }
}
