// Real destination servers on loopback for the end-to-end suites: s3rver (S3-compatible) and
// Debian's OpenSSH sshd (SFTP). They live beside the control plane's destination tests, which use
// them too; see there for what each offers and its limits.
export { startS3Server, type TestS3Server } from "../../control-plane/src/testing/s3-server.js";
export { startSftpServer, type TestSftpServer } from "../../control-plane/src/testing/sftp-server.js";
