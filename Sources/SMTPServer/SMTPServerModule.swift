/// SMTP and LMTP for Shoal mail nodes.
public enum SMTPServerModule {}
