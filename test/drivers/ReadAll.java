// Every view and function twin of dunning read through pgjdbc (Debian's
// libpostgresql-jdbc-java), as Metabase, Power BI's JDBC bridge or Java ERP
// code read them (test/other/drivers.sh), in text transfer
// (preferQueryMode=simple) and in binary transfer (prepareThreshold=-1: the
// first execution is prepared and its values come in binary):
//  - ResultSetMetaData.getColumnTypeName is the column's type in the catalog;
//  - getString of each value is psql's text of it (read from a file psql
//    wrote), up to the way each side writes a timestamp.
// Usage: java -Duser.timezone=UTC ReadAll DBNAME EXPECTED_DIR
// (host, port, user and password from PGHOST, PGPORT, PGUSER, PGPASSWORD)
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

public class ReadAll {
    static final String FS = "\u001f", RS = "\u001e", NULL = "\u001dNULL\u001d";

    static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    // psql writes 2026-12-01 12:09:58.30979+00, pgjdbc may write the same
    // instant another way: timestamps compare as instants, arrays up to the
    // quotes of their elements
    static String normal(String v, String type) {
        if (v == null) return null;
        // a binary array's getString quotes every element: {"4933","4939"}
        if (type.startsWith("_")) return v.replaceAll("\"([^\"\\\\,{} ]+)\"", "$1");
        if (type.equals("timestamptz") || type.equals("timestamp")) {
            String s = v.replace(' ', 'T');
            if (s.matches(".*[+-]\\d\\d$")) s = s + ":00";
            try {
                return java.time.OffsetDateTime.parse(s).toInstant().toString();
            } catch (Exception e) {
                return v;
            }
        }
        return v;
    }

    public static void main(String[] args) throws Exception {
        String db = args[0];
        Path dir = Path.of(args[1]);
        String url = "jdbc:postgresql://" + env("PGHOST", "localhost") + ":" + env("PGPORT", "5432") + "/" + db;
        List<String> failures = new ArrayList<>();
        int rels = 0;
        long values = 0;
        for (String mode : new String[] {"text", "binary"}) {
            Properties p = new Properties();
            p.setProperty("user", env("PGUSER", "postgres"));
            if (System.getenv("PGPASSWORD") != null) p.setProperty("password", System.getenv("PGPASSWORD"));
            p.setProperty("options", "-c TimeZone=UTC -c DateStyle=ISO -c dunning.as_of=2013-06-28 -c search_path=public -c extra_float_digits=1");
            if (mode.equals("text")) p.setProperty("preferQueryMode", "simple");
            else p.setProperty("prepareThreshold", "-1");
            try (Connection c = DriverManager.getConnection(url, p)) {
                for (String line : Files.readAllLines(dir.resolve("relations"), StandardCharsets.UTF_8)) {
                    String[] f = line.split("\t");
                    String name = f[0], source = f[1];
                    String[] want_types = f[2].split(",");
                    String sql = "SELECT * FROM " + source + " t ORDER BY t::text";
                    String text = Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
                    if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
                    List<String[]> want = new ArrayList<>();
                    if (!text.isEmpty())
                        for (String row : text.split(RS, -1)) want.add(row.split(FS, -1));
                    try (PreparedStatement st = c.prepareStatement(sql); ResultSet r = st.executeQuery()) {
                        ResultSetMetaData md = r.getMetaData();
                        int n = md.getColumnCount();
                        for (int i = 1; i <= n; i++) {
                            String t = md.getColumnTypeName(i).replace("\"", "");
                            if (t.startsWith("dunning.")) t = t.substring(8);
                            if (i > want_types.length || !t.equals(want_types[i - 1]))
                                failures.add(mode + " " + name + " column " + md.getColumnName(i) + ": pgjdbc type " + t
                                             + ", catalog " + (i > want_types.length ? "?" : want_types[i - 1]));
                        }
                        int row = 0;
                        while (r.next()) {
                            if (row >= want.size()) { failures.add(mode + " " + name + ": more rows than psql"); break; }
                            String[] w = want.get(row);
                            for (int i = 1; i <= n; i++) {
                                String got = r.getString(i);
                                String exp = NULL.equals(w[i - 1]) ? null : w[i - 1];
                                String type = want_types[i - 1];
                                String a = normal(got, type), b = normal(exp, type);
                                if (a == null ? b != null : !a.equals(b)) {
                                    failures.add(mode + " " + name + " row " + row + " column " + md.getColumnName(i)
                                                 + ": pgjdbc " + got + ", psql " + exp);
                                    break;
                                }
                                values++;
                            }
                            row++;
                        }
                        if (row < want.size()) failures.add(mode + " " + name + ": " + row + " rows, psql " + want.size());
                    }
                    rels++;
                }
            }
        }
        for (int i = 0; i < Math.min(20, failures.size()); i++) System.err.println("FAIL: " + failures.get(i));
        if (!failures.isEmpty()) {
            System.out.println("not ok - pgjdbc reads (" + failures.size() + " differences)");
            System.exit(1);
        }
        System.out.println("ok - pgjdbc " + org.postgresql.util.DriverInfo.DRIVER_VERSION + ": " + rels / 2
                           + " views and twins in text and in binary transfer, " + values
                           + " values equal to psql's text, every column of the catalog's type");
    }
}
