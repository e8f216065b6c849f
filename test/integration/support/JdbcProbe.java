import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Connects with a JDBC URL as Keycloak would (the PostgreSQL driver Keycloak ships, on the
 * class path) and prints what the session reports of its own TLS: "true|TLSv1.3", or
 * "refused: <the driver's message>" and exit 1. Arguments: url user password.
 */
public class JdbcProbe {
  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], args[1], args[2]);
        ResultSet r = c.createStatement().executeQuery("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
      r.next();
      System.out.println(r.getBoolean(1) + "|" + r.getString(2));
    } catch (SQLException e) {
      System.out.println("refused: " + e.getMessage());
      System.exit(1);
    }
  }
}
