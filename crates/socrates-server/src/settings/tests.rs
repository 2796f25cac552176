//! Settings layering, defaults, secrets and errors.

use figment::Jail;
use secrecy::ExposeSecret;

use super::*;

#[test]
fn the_embedded_default_needs_no_configuration() {
    Jail::expect_with(|_jail| {
        let settings = Settings::load(None).expect("defaults load");
        assert_eq!(settings.environment, Environment::Development);
        assert_eq!(settings.server.host, "127.0.0.1");
        assert_eq!(settings.server.port, 8080);
        assert_eq!(
            settings.auth_database().url,
            "sqlite://data/socrates_auth.db?mode=rwc"
        );
        assert_eq!(
            settings.specs_database().url,
            "sqlite://data/socrates_specs.db?mode=rwc"
        );
        assert!(settings.auto_migrate());
        assert_eq!(settings.log_format(), LogFormat::Pretty);
        Ok(())
    });
}

#[test]
fn file_then_environment_override_the_defaults() {
    Jail::expect_with(|jail| {
        jail.create_file(
            DEFAULT_CONFIG_FILE,
            "[server]\nport = 9000\nhost = \"0.0.0.0\"\n[database]\nmax_connections = 7\n",
        )?;
        jail.set_env("SOCRATES_SERVER__PORT", "9100");
        jail.set_env("APP_ENV", "production");
        jail.set_env(
            "DATABASE_SPECS_URL",
            "postgres://app:pw@db:5432/socrates_specs",
        );
        jail.set_env("SOCRATES_TEST_POSTGRES_URL", "ignored by the server");
        let settings = Settings::load(None).expect("layers load");
        assert_eq!(settings.server.host, "0.0.0.0");
        assert_eq!(settings.server.port, 9100);
        assert_eq!(settings.database.max_connections, 7);
        assert_eq!(settings.environment, Environment::Production);
        assert_eq!(
            settings.specs_database().url,
            "postgres://app:pw@db:5432/socrates_specs"
        );
        assert_eq!(settings.specs_database().max_connections, 7);
        assert!(!settings.auto_migrate());
        assert_eq!(settings.log_format(), LogFormat::Json);
        Ok(())
    });
}

#[test]
fn secrets_never_appear_in_debug_output() {
    Jail::expect_with(|jail| {
        jail.set_env(
            "DATABASE_AUTH_URL",
            "postgres://app:topsecret@db/socrates_auth",
        );
        let settings = Settings::load(None).expect("load");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("topsecret"), "{printed}");
        let url = settings.database.auth_url.as_ref().expect("set");
        assert!(url.expose_secret().contains("topsecret"));
        Ok(())
    });
}

#[test]
fn unknown_keys_and_bad_values_are_errors() {
    Jail::expect_with(|jail| {
        jail.create_file("custom.toml", "[telemetry]\nlog_levle = \"debug\"\n")?;
        let error = Settings::load(Some(Path::new("custom.toml"))).expect_err("typo rejected");
        assert!(error.to_string().contains("log_levle"), "{error}");

        jail.set_env("SOCRATES_SERVER__PORT", "not-a-port");
        let error = Settings::load(None).expect_err("bad port rejected");
        assert!(error.to_string().contains("port"), "{error}");
        Ok(())
    });
}

#[test]
fn an_explicit_config_file_must_exist() {
    Jail::expect_with(|_jail| {
        let error = Settings::load(Some(Path::new("missing.toml"))).expect_err("missing file");
        assert!(matches!(error, SettingsError::MissingFile(_)));
        Ok(())
    });
}
