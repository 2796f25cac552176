-- The official postgres image creates POSTGRES_DB (socrates_auth); this adds the second database.
CREATE DATABASE socrates_specs;
