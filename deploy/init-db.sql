-- First start of the compose PostgreSQL: the Dagster storage database beside the warehouse.
CREATE DATABASE edu_dagster;
