//! A realistic specification for the generator's tests and the `render` example: a clinic's
//! booking product, as an interview leaves it.

use chrono::{TimeZone as _, Utc};
use socrates_domain::{Category, FactSource};
use socrates_export::model::{Fact, ProjectInfo, Specification};
use uuid::Uuid;

fn fact(n: u128, category: Category, key: &str, value: &str) -> Fact {
    Fact {
        id: Uuid::from_u128(n),
        category,
        key: key.to_owned(),
        value: value.to_owned(),
        confidence: 0.9,
        source: FactSource::SocraticQuestion,
        version: 1,
    }
}

/// The clinic's specification, its language replaced by `language`.
pub fn clinic(language: &str) -> Specification {
    use Category::*;
    Specification {
        project: ProjectInfo {
            id: Uuid::from_u128(1),
            name: "Clinic Booking".to_owned(),
            description: Some("Appointments for a chain of physiotherapy clinics.".to_owned()),
            phase: "implementation".to_owned(),
        },
        facts: vec![
            fact(10, Goals, "project_goal", "cut phone bookings by half"),
            fact(
                11,
                Requirements,
                "requirement_book",
                "Receptionists must be able to book, move and cancel appointments",
            ),
            fact(
                12,
                Requirements,
                "requirement_invoices",
                "Patients should see their upcoming appointments and past invoices",
            ),
            fact(
                13,
                Requirements,
                "requirement_reminders",
                "Reminders go out by SMS through Twilio 24 hours before each appointment",
            ),
            fact(
                14,
                Requirements,
                "requirement_scope",
                "No mobile app for now; the web app must work on phones",
            ),
            fact(15, TechStack, "programming_language", language),
            fact(16, TechStack, "primary_database", "PostgreSQL"),
            fact(17, Security, "authentication_method", "Google OAuth"),
            fact(18, Performance, "latency_p95_ms", "300 ms"),
        ],
        open_conflicts: Vec::new(),
        decisions: Vec::new(),
        taken_at: Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap(),
    }
}
