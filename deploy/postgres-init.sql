-- the second database of the cluster: Rasa's SQL tracker store (the first, kb, is POSTGRES_DB)
CREATE DATABASE rasa;
