-- The table lab 4 loads the ratings CSV into (data/s3/csv/ratings_ml_training_dataset.csv), one column per CSV
-- column, in the file's order, so `COPY ratings_training FROM STDIN WITH (FORMAT csv, HEADER true)` fits.
DROP TABLE IF EXISTS ratings_training;
CREATE TABLE ratings_training (
    city            VARCHAR(50),
    state           VARCHAR(50),
    postalcode      VARCHAR(15),
    country         VARCHAR(50),
    creditlimit     NUMERIC(10, 2),
    productcode     VARCHAR(15) NOT NULL,
    productline     VARCHAR(50),
    productscale    VARCHAR(10),
    quantityinstock SMALLINT,
    buyprice        NUMERIC(10, 2),
    msrp            NUMERIC(10, 2),
    productrating   SMALLINT CHECK (productrating BETWEEN 1 AND 5),
    customernumber  INTEGER NOT NULL,
    PRIMARY KEY (customernumber, productcode)
);
