// Healthcheck of the compose MongoDB (mongosh). The server runs with --replSet rs0; the
// first successful check initiates the one-member replica set (idempotent: an initiated
// set is left alone), and the check passes once this node is the writable primary.
// Credentials come from the container's environment, never from the command line.
const admin = db.getSiblingDB('admin');
admin.auth(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD);
try {
  rs.status();
} catch (error) {
  if (error.codeName !== 'NotYetInitialized') {
    throw error;
  }
  // "mongo" is the compose service name: every container on the network reaches it so.
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] });
}
quit(admin.hello().isWritablePrimary ? 0 : 1);
