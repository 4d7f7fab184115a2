-- 001_orleans_main.sql
-- The query catalogue that Orleans' ADO.NET providers (Microsoft.Orleans.Clustering.AdoNet,
-- .Persistence.AdoNet, .Reminders.AdoNet 10.4.2, invariant "Npgsql") read at start-up.
--
-- The providers never carry SQL of their own for PostgreSQL: at initialisation each one runs
--     SELECT QueryKey, QueryText FROM OrleansQuery
-- (persistence filters it to its own keys) and from then on executes the text stored under a
-- fixed key, binding parameters BY NAME (@DeploymentId, @GrainIdHash, ...) and reading result
-- columns by name. Scripts 002-004 fill this table; the keys, parameter names and result column
-- names they use are therefore a contract with the provider assemblies and must not be renamed.
--
-- Identifiers are deliberately left unquoted (they fold to lower case), exactly like Orleans' own
-- scripts: the providers' SQL is unquoted too, and Npgsql matches result columns
-- case-insensitively, so "QueryKey" in C# finds the column querykey.
--
-- Providers cache the catalogue when they initialise: a change made by a later script reaches a
-- running silo only after it restarts.
--
-- Applied once, inside one transaction, by the application's migrator (see README.md). No
-- transaction control and no psql meta-commands here: the migrator sends the file through Npgsql.

CREATE TABLE OrleansQuery
(
    -- The provider looks queries up by this key, e.g. 'InsertMembershipKey'.
    QueryKey  varchar(64)   NOT NULL,
    -- The statement text, with @Name placeholders that Npgsql binds from the provider's parameters.
    QueryText varchar(8000) NOT NULL,

    -- Same constraint name as Orleans' own scripts, so diagnostics read the same.
    CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
);
