DROP TABLE advisory_packages;
DROP TABLE advisories;
DROP TABLE feed_versions;
